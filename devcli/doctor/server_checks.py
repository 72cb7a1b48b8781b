"""A model server: can it be reached, what it serves, its context window, and whether it
returns tool calls as structured data or leaves them in the text."""

from typing import Any

from devcli.config import ConfigError, Settings
from devcli.doctor.report import Report, Status

AREA = "server"
_PING_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "report_status",
        "description": "Report a status word.",
        "parameters": {
            "type": "object",
            "properties": {"status": {"type": "string", "enum": ["ok"]}},
            "required": ["status"],
        },
    },
}
GENERATION_TIMEOUT_S = 120.0
_PING_MESSAGE = "Call the report_status tool with status ok. Do not write anything else."


def check_server(report: Report, settings: Settings, timeout: float = 8.0) -> None:
    import os

    import openai

    from devcli.llm.providers import resolve_endpoint
    from devcli.llm.server_info import describe_models, served_models
    from devcli.llm.server_window import probe_window

    try:
        endpoint = resolve_endpoint(settings, os.environ)
    except ConfigError as exc:
        report.add(AREA, "endpoint", Status.PROBLEM, str(exc))
        return
    client = openai.OpenAI(
        base_url=endpoint.base_url, api_key=endpoint.api_key, timeout=timeout, max_retries=0
    )
    try:
        served = served_models(client)
    except openai.AuthenticationError:
        report.add(AREA, "endpoint", Status.PROBLEM, f"{endpoint.base_url} refused the API key")
        return
    except openai.APIError as exc:
        report.add(
            AREA,
            "endpoint",
            Status.PROBLEM,
            f"{endpoint.base_url} cannot be reached ({type(exc).__name__}: {exc})",
            "start the server, or check --endpoint / --provider",
        )
        return
    names = [model.id for model in served]
    report.add(AREA, "endpoint", Status.OK, f"{endpoint.base_url} answers")
    report.add(AREA, "models", Status.OK, describe_models(names))
    model = endpoint.model or (names[0] if len(names) == 1 else None)
    if model is None:
        report.add(
            AREA, "model", Status.PROBLEM, "the server offers several models", "pass --model NAME"
        )
        return
    if endpoint.model and names and model not in names:
        report.add(
            AREA,
            "model",
            Status.WARNING,
            f"{model} is not in the server's list",
            "check --model against the list above",
        )
    window = next((m.context_window for m in served if m.id == model), None)
    warning = None
    if window is None and endpoint.provider != "mistral":
        found = probe_window(endpoint.base_url, model, endpoint.api_key)
        window, warning = found.window, found.warning
    if warning:
        report.add(AREA, "context window", Status.WARNING, warning)
    else:
        report.add(
            AREA,
            "context window",
            Status.OK if window else Status.WARNING,
            f"{window} tokens" if window else "not reported; devcli uses the model table's",
            "" if window else "pass --ctx-size with the server's real window",
        )
    _check_tool_calls(report, client, model)


def _check_tool_calls(report: Report, client: Any, model: str) -> None:
    import openai

    from devcli.llm.formats.text_calls import parse_text_tool_calls

    request: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": _PING_MESSAGE}],
        "tools": [_PING_TOOL],
        "max_tokens": 64,
        "temperature": 0,
    }
    # Generating takes longer than answering a list request, most of all on a CPU.
    client = client.with_options(timeout=GENERATION_TIMEOUT_S)
    named = {"type": "function", "function": {"name": _PING_TOOL["function"]["name"]}}
    try:
        try:
            # Naming the tool asks the server to force the call, so a small model's whims
            # do not decide the answer; servers without forcing take the plain request.
            answer = client.chat.completions.create(**request, tool_choice=named)
        except openai.BadRequestError:
            answer = client.chat.completions.create(**request)
    except openai.APIError as exc:
        report.add(
            AREA,
            "tool calls",
            Status.WARNING,
            f"a request with tools failed ({type(exc).__name__}: {exc})",
            "devcli can use --tool-format openhands with servers that do not take tools",
        )
        return
    message = answer.choices[0].message if answer.choices else None
    if message is not None and message.tool_calls:
        report.add(AREA, "tool calls", Status.OK, "returned as structured tool calls")
        return
    content = (message.content if message is not None else "") or ""
    if parse_text_tool_calls(content, [_PING_TOOL["function"]["name"]]) is not None:
        report.add(
            AREA,
            "tool calls",
            Status.OK,
            "left in the reply's text; devcli reads them from there",
        )
        return
    report.add(
        AREA,
        "tool calls",
        Status.WARNING,
        "the model made no tool call when asked to: " + (content.strip()[:80] or "(empty)"),
        "a model tuned for tool calls works best; --tool-format openhands may help",
    )
