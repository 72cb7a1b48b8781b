"""A server's answer to a call, as the observation the model reads.

Text is kept as written; structured content is added as JSON when the text does not already
carry it; resource links and embedded resources are named with their URI. Images in a format
models take are saved (by content, so a resumed session can send them again) and go with the
result to a model that takes images; the text names them for the others. Audio is described.
"""

import base64
import binascii
import json
from pathlib import Path
from typing import Any

from mcp.types import (
    AudioContent,
    BlobResourceContents,
    CallToolResult,
    ContentBlock,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)

from devcli.image_types import MAX_IMAGE_BYTES, suffix_for
from devcli.tools.base import ToolResult
from devcli.tools.image_store import keep_image

EMPTY_RESULT = "(the tool returned nothing)"


def tool_result(result: CallToolResult, image_folder: Path | None = None) -> ToolResult:
    """The observation of a server's answer; images are saved into `image_folder` (none:
    they are only described)."""
    images: list[str] = []
    parts = [_block_text(block, image_folder, images) for block in result.content]
    texts = [block.text for block in result.content if isinstance(block, TextContent)]
    structured = result.structured_content
    if structured is not None and not _already_in(structured, texts):
        dumped = json.dumps(structured, indent=2, ensure_ascii=False)
        parts.append(dumped if not parts else f"Structured result:\n{dumped}")
    content = "\n\n".join(part for part in parts if part) or EMPTY_RESULT
    return ToolResult(content=content, is_error=bool(result.is_error), images=tuple(images))


def _image_text(block: ImageContent, folder: Path | None, saved: list[str]) -> str:
    """The image's line in the text; the image itself is saved and listed when it can go."""
    described = f"image, {block.mime_type}, {_decoded_size(block.data)}"
    suffix = suffix_for(block.mime_type)
    if folder is None or suffix is None:
        return f"[{described}: not shown]"
    try:
        data = base64.b64decode(block.data, validate=True)
    except (binascii.Error, ValueError):
        return f"[{described}: not valid base64, not shown]"
    if len(data) > MAX_IMAGE_BYTES:
        return f"[{described}: larger than a model takes, not shown]"
    try:
        saved.append(str(keep_image(data, folder, suffix)))
    except OSError as exc:
        return f"[{described}: could not be kept ({exc.strerror or exc}), not shown]"
    return f"[{described}: shown to the model if it takes images]"


def _block_text(block: ContentBlock, image_folder: Path | None, images: list[str]) -> str:
    match block:
        case TextContent():
            return block.text
        case ImageContent():
            return _image_text(block, image_folder, images)
        case AudioContent():
            return f"[audio, {block.mime_type}, {_decoded_size(block.data)}: not played]"
        case ResourceLink():
            return "Resource link: " + _resource_label(
                block.name, block.uri, block.mime_type, block.description
            )
        case EmbeddedResource():
            return _embedded_text(block)
    return "[content of a kind devcli does not know: not shown]"


def _embedded_text(block: EmbeddedResource) -> str:
    resource = block.resource
    label = _resource_label(None, resource.uri, resource.mime_type, None)
    if isinstance(resource, TextResourceContents):
        return f"Resource {label}:\n{resource.text}"
    if isinstance(resource, BlobResourceContents):
        return f"Resource {label}: {_decoded_size(resource.blob)} of binary data, not shown"
    return f"Resource {label}"


def _resource_label(name: str | None, uri: Any, mime_type: str | None, about: str | None) -> str:
    label = f"{name} <{uri}>" if name else f"<{uri}>"
    details = [d for d in (mime_type, about) if d]
    return label + (f" ({'; '.join(details)})" if details else "")


def _decoded_size(data: str) -> str:
    try:
        size = len(base64.b64decode(data, validate=True))
    except (binascii.Error, ValueError):
        size = len(data)
    return f"{size:,} bytes"


def _already_in(structured: Any, texts: list[str]) -> bool:
    """Servers are asked to repeat structured content as text; do not show it twice."""
    for text in texts:
        try:
            if json.loads(text) == structured:
                return True
        except ValueError:
            pass
    # A plain value a server wrapped as {"result": value} for its output schema.
    if isinstance(structured, dict) and len(structured) == 1:
        (value,) = structured.values()
        shown = value if isinstance(value, str) else json.dumps(value)
        return shown in texts
    return False
