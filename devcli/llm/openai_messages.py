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
from devcli.image_types import IMAGE_TYPES, MAX_IMAGE_BYTES
from devcli.llm.backend import Backend, ChatMessage, ImageError, Role
from devcli.llm.formats.openhands_text import describe_tools, render_call, render_result
from devcli.tool_schema import ToolSchemas

Message = dict[str, Any]

_NO_IMAGES = "--image needs a remote model that accepts images (--endpoint/--provider)"


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
    media_type = IMAGE_TYPES.get(path.suffix.lower())
    if media_type is None:
        kinds = ", ".join(sorted(IMAGE_TYPES))
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


def _as_parts(content: str | list[Message]) -> list[Message]:
    """A message's content as a list of parts (servers take either form)."""
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def _with_images(text: str, images: Sequence[Message]) -> str | list[Message]:
    """Plain text when there are no images: what servers without image support expect."""
    return [*_as_parts(text), *images] if images else text


def _history_image_parts(paths: Sequence[str]) -> list[Message]:
    """Parts for images already in the conversation. One that can no longer be read (a
    resumed session whose file was removed) is named instead: the request still goes."""
    parts: list[Message] = []
    for path in paths:
        try:
            parts.append(image_part(Path(path)))
        except ImageError as exc:
            parts.append({"type": "text", "text": f"[image not sent: {exc}]"})
    return parts


def _message_images(message: ChatMessage, pending: list[Path]) -> list[Message]:
    """A user message's own images, or else the task's images still waiting to be sent."""
    if message.images:
        return _history_image_parts(message.images)
    return [image_part(path) for path in pending]


def _tool_images_message(messages: Sequence[ChatMessage]) -> Message | None:
    """One user message with the images a run of tool results returned (servers take images
    only in user messages)."""
    parts: list[Message] = []
    for message in messages:
        if message.images:
            count = len(message.images)
            label = "image" if count == 1 else f"{count} images"
            parts.append(
                {"type": "text", "text": f"The {label} returned by `{message.name or 'tool'}`:"}
            )
            parts += _history_image_parts(message.images)
    return {"role": "user", "content": parts} if parts else None


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


class _NativeWire:
    """The wire messages being built, with the run of tool results still open."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.results: list[ChatMessage] = []
        # A message of tool images that the next user message joins: strict servers must not
        # see two user messages in a row that the conversation did not have.
        self.images_message: Message | None = None

    def add(self, message: Message) -> None:
        self.close_results()
        self.images_message = None
        self.messages.append(message)

    def add_user(self, content: str | list[Message]) -> None:
        self.close_results()
        joined = self.images_message
        if joined is None:
            self.add({"role": "user", "content": content})
            return
        joined["content"] = [*joined["content"], *_as_parts(content)]
        self.images_message = None

    def add_result(self, message: ChatMessage) -> None:
        self.messages.append(
            {
                "role": "tool",
                "tool_call_id": wire_id(message.tool_call_id or ""),
                "content": message.content,
            }
        )
        self.results.append(message)

    def close_results(self) -> None:
        if not self.results:
            return
        images = _tool_images_message(self.results)
        self.results = []
        if images is not None:
            self.messages.append(images)
            self.images_message = images


def native_messages(messages: Sequence[ChatMessage], images: Sequence[Path] = ()) -> list[Message]:
    """Messages for a server that takes `tools`. `images` (the task's) go with the first user
    message when it has none of its own; images tools returned follow their results."""
    wire = _NativeWire()
    pending_images = list(images)
    for message in messages:
        match message.role:
            case Role.SYSTEM:
                wire.add({"role": "system", "content": message.content})
            case Role.USER:
                wire.add_user(
                    _with_images(message.content, _message_images(message, pending_images))
                )
                pending_images = []
            case Role.ASSISTANT:
                wire.add(_native_assistant(message))
            case Role.TOOL:
                wire.add_result(message)
    wire.close_results()
    return wire.messages


def _append_user_text(wire: list[Message], text: str, images: Sequence[Message] = ()) -> None:
    """Consecutive user messages are merged: chat templates insist on alternating roles."""
    last = wire[-1] if wire and wire[-1]["role"] == "user" else None
    if last is None:
        wire.append({"role": "user", "content": _with_images(text, images)})
    elif isinstance(last["content"], str) and not images:
        last["content"] += "\n\n" + text
    else:
        last["content"] = [*_as_parts(last["content"]), *_as_parts(text), *images]


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
            case Role.USER:
                _append_user_text(wire, message.content, _message_images(message, pending_images))
                pending_images = []
            case Role.ASSISTANT:
                parts = [message.content.strip()] if message.content.strip() else []
                parts += [render_call(call) for call in message.tool_calls]
                wire.append({"role": "assistant", "content": "\n\n".join(parts)})
            case Role.TOOL:
                _append_user_text(
                    wire,
                    render_result(message.name or "tool", message.content),
                    _history_image_parts(message.images),
                )
    return wire


def check_images(backend: Backend, paths: Sequence[Path]) -> None:
    """ImageError, naming the file, when these images cannot go to this backend."""
    if paths and not backend.accepts_images:
        raise ImageError(_NO_IMAGES)
    for path in paths:
        image_part(path)


def attach_task_images(backend: Backend, paths: Sequence[Path]) -> None:
    """Give the task's images to the backend; ImageError when it cannot take them."""
    if not backend.accepts_images:
        raise ImageError(_NO_IMAGES)
    backend.attach_images(paths)
