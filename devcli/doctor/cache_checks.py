"""The prompt cache of local models: where it is, what it holds, whether it is on."""

from devcli.config import Settings
from devcli.doctor.report import Report, Status

AREA = "cache"


def check_prompt_cache(report: Report, settings: Settings) -> None:
    from devcli.llm.prompt_cache import prompt_cache_summary
    from devcli.units import human_size

    summary = prompt_cache_summary(settings)
    held = human_size(summary.total_bytes) if summary.total_bytes else "0 B"
    detail = (
        f"{summary.entries} saved prompt states, {held} of {human_size(summary.max_bytes)}, "
        f"in {summary.location}"
    )
    if not summary.enabled:
        report.add(AREA, "prompt cache", Status.OK, f"off (prompt_cache = false); {detail}")
    elif summary.unreadable:
        report.add(
            AREA,
            "prompt cache",
            Status.WARNING,
            f"{detail}; {summary.unreadable} unreadable files (the next run deletes them)",
            "devcli cache clear",
        )
    else:
        report.add(AREA, "prompt cache", Status.OK, detail)
