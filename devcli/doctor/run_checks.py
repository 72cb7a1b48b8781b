"""All the checks for one configuration, in the order a run meets them."""

import os

from devcli.config import Settings
from devcli.doctor.report import Report, Status
from devcli.doctor.system_checks import check_system


def check_hub(report: Report) -> None:
    from devcli.llm.hub_access import hub_reach

    reach = hub_reach()
    if reach.reachable:
        report.add("network", "hugging face", Status.OK, f"{reach.endpoint} reachable")
    else:
        report.add(
            "network",
            "hugging face",
            Status.WARNING,
            f"{reach.endpoint} cannot be reached ({reach.detail})",
            "needed only to download models and tokenizer files",
        )


def diagnose(settings: Settings) -> Report:
    report = Report()
    check_system(report)
    from devcli.llm.providers import wants_remote

    if wants_remote(settings, os.environ):
        from devcli.doctor.server_checks import check_server

        check_server(report, settings)
        return report
    from devcli.doctor.model_checks import check_local_model
    from devcli.doctor.runtime_checks import check_decode, check_runtime

    runtime = check_runtime(report)
    check_hub(report)
    model = check_local_model(report, settings)
    if runtime is not None and model is not None:
        check_decode(report, settings, runtime, model)
    from devcli.doctor.cache_checks import check_prompt_cache

    check_prompt_cache(report, settings)
    return report
