"""A `session/prompt`'s content blocks as the user message devcli's loop takes.

Text is the message; embedded text resources (files the editor attaches) follow it as the
REPL's `@file` attachments do; resource links are listed for the model to open itself;
images are decoded for the session to save and attach.
"""

import base64
import binascii
from collections.abc import Sequence
from urllib.parse import unquote, urlparse

from acp import RequestError
from acp.schema import (
    AudioContentBlock,
    EmbeddedResourceContentBlock,
    ImageContentBlock,
    ResourceContentBlock,
    TextContentBlock,
    TextResourceContents,
)
from pydantic import BaseModel, ConfigDict, Field

PromptBlock = (
    TextContentBlock
    | ImageContentBlock
    | AudioContentBlock
    | ResourceContentBlock
    | EmbeddedResourceContentBlock
)


class PromptImage(BaseModel):
    model_config = ConfigDict(frozen=True)

    data: bytes
    mime_type: str


class UserPrompt(BaseModel):
    text: str
    images: list[PromptImage] = Field(default_factory=list)


def _shown_uri(uri: str) -> str:
    """A file URI as its path; any other URI as it is."""
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def read_prompt(blocks: Sequence[PromptBlock]) -> UserPrompt:
    """Raises RequestError (invalid params) for content devcli does not take."""
    texts: list[str] = []
    attached: list[str] = []
    mentioned: list[str] = []
    images: list[PromptImage] = []
    for block in blocks:
        match block:
            case TextContentBlock():
                texts.append(block.text)
            case EmbeddedResourceContentBlock() if isinstance(block.resource, TextResourceContents):
                path = _shown_uri(block.resource.uri)
                attached.append(f'<file path="{path}">\n{block.resource.text.rstrip()}\n</file>')
            case EmbeddedResourceContentBlock():
                mentioned.append(_shown_uri(block.resource.uri))
            case ResourceContentBlock():
                mentioned.append(_shown_uri(block.uri))
            case ImageContentBlock():
                try:
                    data = base64.b64decode(block.data, validate=True)
                except (binascii.Error, ValueError) as exc:
                    raise RequestError.invalid_params(
                        {"details": "an image in the prompt is not valid base64"}
                    ) from exc
                images.append(PromptImage(data=data, mime_type=block.mime_type))
            case AudioContentBlock():
                raise RequestError.invalid_params({"details": "devcli does not take audio"})
    text = "\n".join(texts).strip()
    if attached:
        text += "\n\nFiles the user attached:\n\n" + "\n\n".join(attached)
    if mentioned:
        text += "\n\nThe user refers to:\n" + "\n".join(f"- {uri}" for uri in mentioned)
    if not text.strip() and not images:
        raise RequestError.invalid_params({"details": "the prompt is empty"})
    return UserPrompt(text=text.strip(), images=images)
