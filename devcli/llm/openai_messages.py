"""The conversation as OpenAI chat messages that strict servers (Mistral's API, vLLM) accept.

Rules kept for every server: tool-call ids are 9 alphanumerics, arguments are re-serialised
JSON objects (text that never parsed is not sent back; its observation explains the error),
and assistant `content` is a string, never null.
"""

import base64
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from devcli.events import ToolCall
from devcli.ids import stable_tool_call_id
from devcli.llm.backend import Backend, ChatMessage, ImageError, Role
from devcli.llm.formats.openhands_text import describe_tools, render_call, render_result
from devcli.tool_schema import ToolSchemas

Message = dict[str, Any]

_IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
MAX_IMAGE_BYTES = 20 * 1024 * 1024


def wire_id(call_id: str) -> str:
    """A valid id as it is; any other id mapped to a stable one, so that a call and its
    result still match and the request prefix stays the same from turn to turn."""
    return stable_tool_call_id(call_id)


def wire_arguments(call: ToolCall) -> str:
    if call.raw_arguments is not None:
        return "{}"
    return json.dumps(call.arguments, ensure_ascii=False)


def image_part(path: Path) -> Message:
    """An `image_url` content part holding the file as a data URL."""
    media_type = _IMAGE_TYPES.get(path.suffix.lower())
    if media_type is None:
        kinds = ", ".join(sorted(_IMAGE_TYPES))
        raise ImageError(f"{path}: not a supported image type (use one of {kinds})")
    try:
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            raise ImageError(f"{path}: {size} bytes is more than the 20 MB an image may have")
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError(f"cannot read the image {path}: {exc.strerror or exc}") from exc
    encoded = base64.b64encode(data).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:{media_type};base64,{encoded}"}}


def user_content(text: str, images: Sequence[Path]) -> str | list[Message]:
    if not images:
        return text
    return [{"type": "text", "text": text}, *(image_part(path) for path in images)]


def _native_assistant(message: ChatMessage) -> Message:
    wire: Message = {"role": "assistant", "content": message.content or ""}
    if message.tool_calls:
        wire["tool_calls"] = [
            {
                "id": wire_id(call.id),
                "type": "function",
                "function": {"name": call.name, "arguments": wire_arguments(call)},
            }
            for call in message.tool_calls
        ]
    return wire


def native_messages(messages: Sequence[ChatMessage], images: Sequence[Path] = ()) -> list[Message]:
    """Messages for a server that takes `tools`; `images` go with the first user message."""
    wire: list[Message] = []
    pending_images = list(images)
    for message in messages:
        match message.role:
            case Role.SYSTEM:
                wire.append({"role": "system", "content": message.content})
            case Role.USER:
                wire.append(
                    {"role": "user", "content": user_content(message.content, pending_images)}
                )
                pending_images = []
            case Role.ASSISTANT:
                wire.append(_native_assistant(message))
            case Role.TOOL:
                wire.append(
                    {
                        "role": "tool",
                        "tool_call_id": wire_id(message.tool_call_id or ""),
                        "content": message.content,
                    }
                )
    return wire


def _append_user_text(wire: list[Message], text: str) -> None:
    """Consecutive user messages are merged: chat templates insist on alternating roles."""
    if wire and wire[-1]["role"] == "user" and isinstance(wire[-1]["content"], str):
        wire[-1]["content"] += "\n\n" + text
    else:
        wire.append({"role": "user", "content": text})


def text_format_messages(
    messages: Sequence[ChatMessage], schemas: ToolSchemas, images: Sequence[Path] = ()
) -> list[Message]:
    """Messages for OpenHands' text tool-call format: the tools are described in the system
    prompt, calls are written into assistant text and results come back as user text."""
    wire: list[Message] = []
    pending_images = list(images)
    for message in messages:
        match message.role:
            case Role.SYSTEM:
                wire.append(
                    {"role": "system", "content": message.content + describe_tools(schemas)}
                )
            case Role.USER if pending_images:
                wire.append(
                    {"role": "user", "content": user_content(message.content, pending_images)}
                )
                pending_images = []
            case Role.USER:
                _append_user_text(wire, message.content)
            case Role.ASSISTANT:
                parts = [message.content.strip()] if message.content.strip() else []
                parts += [render_call(call) for call in message.tool_calls]
                wire.append({"role": "assistant", "content": "\n\n".join(parts)})
            case Role.TOOL:
                _append_user_text(wire, render_result(message.name or "tool", message.content))
    return wire


def attach_task_images(backend: Backend, paths: Sequence[Path]) -> None:
    """Give the task's images to the backend; ImageError when it cannot take them."""
    if not backend.accepts_images:
        raise ImageError("--image needs a remote model that accepts images (--endpoint/--provider)")
    backend.attach_images(paths)
