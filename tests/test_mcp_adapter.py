"""The pieces that turn a server's tool into one of devcli's: names, schemas, results."""

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from mcp.types import (
    BlobResourceContents,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
    TextResourceContents,
)
from mistral_common.utils.json_utils import validate_json_schema_by_draft7

from devcli.mcp.arguments import ArgumentChecker
from devcli.mcp.names import MAX_TOOL_NAME, tool_name
from devcli.mcp.results import EMPTY_RESULT, tool_result
from devcli.mcp.schema import model_schema
from devcli.tools.base import ArgumentError

NAME_RULE = r"^[A-Za-z0-9_-]{1,64}$"


def test_names_are_cleaned_shortened_and_kept_apart() -> None:
    taken: set[str] = {"execute_bash"}
    assert tool_name("git hub", "issues.list", taken) == "mcp__git_hub__issues_list"
    # `issues_list` would read the same: it is numbered.
    assert tool_name("git hub", "issues_list", taken) == "mcp__git_hub__issues_list_2"
    long = tool_name("a-server-with-a-long-name", "x" * 80, taken)
    other = tool_name("a-server-with-a-long-name", "x" * 79 + "y", taken)
    assert len(long) == len(other) == MAX_TOOL_NAME and long != other
    assert long.startswith("mcp__a-server-with-a-long-name__xxx")
    assert tool_name("été", "名前", taken) == "mcp___t_____"


def test_every_name_fits_the_rule_of_mistral_and_openai() -> None:
    taken: set[str] = set()
    names = [tool_name(s, t, taken) for s in ("a.b", "a_b", "ü" * 70) for t in ("x", "x", "?!")]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(NAME_RULE, name) for name in names)


NESTED = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "searchArguments",
    "type": "object",
    "properties": {
        "query": {"title": "Query", "type": "string", "description": "What to look for"},
        "filter": {"anyOf": [{"$ref": "#/$defs/Filter"}, {"type": "null"}], "default": None},
        "title": {"type": "string"},  # a parameter named `title` stays
    },
    "required": ["query"],
    "$defs": {
        "Filter": {
            "title": "Filter",
            "type": "object",
            "properties": {"language": {"type": "string", "enum": ["en", "fr"]}},
        }
    },
}


def test_a_schema_is_inlined_and_tidied_for_the_model() -> None:
    schema = model_schema(NESTED)
    assert schema == {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": "What to look for"},
            "filter": {
                "type": "object",
                "properties": {"language": {"type": "string", "enum": ["en", "fr"]}},
            },
            "title": {"type": "string"},
        },
        "required": ["query"],
    }
    validate_json_schema_by_draft7(schema)


def test_a_recursive_reference_keeps_its_definitions() -> None:
    tree = {
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            }
        },
    }
    schema = model_schema(tree)
    assert "$defs" in schema and "$ref" in json.dumps(schema)
    validate_json_schema_by_draft7(schema)


@pytest.mark.parametrize(
    "odd",
    [
        {},  # no type, no properties
        {"type": "object"},  # OpenAI-compatible servers want `properties`
        {"type": "object", "properties": {"n": {"type": "integer", "exclusiveMinimum": True}}},
        {"type": "object", "properties": {"n": {"type": "wrong"}}, "required": ["n", "n"]},
    ],
)
def test_any_schema_becomes_one_the_backends_accept(odd: dict[str, Any]) -> None:
    schema = model_schema(odd)
    assert schema["type"] == "object" and isinstance(schema["properties"], dict)
    validate_json_schema_by_draft7(schema)


def test_a_property_invalid_for_draft_7_is_offered_as_any_value() -> None:
    schema = model_schema(
        {
            "type": "object",
            "properties": {
                "n": {"type": "number", "exclusiveMinimum": True, "description": "A count"},
                "s": {"type": "string"},
            },
            "required": ["n"],
        }
    )
    assert schema["properties"] == {"n": {"description": "A count"}, "s": {"type": "string"}}
    assert schema["required"] == ["n"]


def test_argument_errors_read_like_devcli_s_own() -> None:
    checker = ArgumentChecker("mcp__s__search", NESTED)
    checker.check({"query": "x", "filter": {"language": "en"}})
    checker.check({"query": "x", "filter": None})  # the server's schema allows null
    with pytest.raises(ArgumentError) as problem:
        checker.check({"filter": {"language": "de"}, "limit": 3})
    assert str(problem.value) == (
        "Invalid arguments for `mcp__s__search`: unknown parameter `limit`; missing required "
        "parameter `query`; parameter `filter`: {'language': 'de'} is not valid under any of "
        "the given schemas."
    )


def test_an_invalid_server_schema_leaves_the_checking_to_the_server() -> None:
    ArgumentChecker("t", {"type": "object", "properties": {"n": {"type": 5}}}).check({"n": 1})


def test_results_keep_text_name_links_and_describe_media() -> None:
    pixel = base64.b64encode(b"\x89PNG" + b"\0" * 60).decode()
    result = CallToolResult(
        content=[
            TextContent(type="text", text="Found 2 pages."),
            ResourceLink(
                type="resource_link", name="intro", uri="https://ex.org/a", mime_type="text/html"
            ),
            EmbeddedResource(
                type="resource",
                resource=TextResourceContents(uri="file:///r/notes.md", text="# Notes"),
            ),
            EmbeddedResource(
                type="resource",
                resource=BlobResourceContents(
                    uri="file:///r/x.bin", blob=pixel, mime_type="application/octet-stream"
                ),
            ),
            ImageContent(type="image", data=pixel, mime_type="image/png"),
        ]
    )
    observed = tool_result(result)
    assert not observed.is_error
    assert observed.content.split("\n\n") == [
        "Found 2 pages.",
        "Resource link: intro <https://ex.org/a> (text/html)",
        "Resource <file:///r/notes.md>:\n# Notes",
        "Resource <file:///r/x.bin> (application/octet-stream): 64 bytes of binary data, not shown",
        "[image, image/png, 64 bytes: not shown]",
    ]
    assert pixel not in observed.content


def _image_result(data: bytes, mime_type: str = "image/png") -> CallToolResult:
    encoded = base64.b64encode(data).decode()
    return CallToolResult(
        content=[
            TextContent(type="text", text="Here it is."),
            ImageContent(type="image", data=encoded, mime_type=mime_type),
        ]
    )


def test_images_are_kept_by_content_and_go_with_the_result(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(100))
    first = tool_result(_image_result(png), tmp_path / "images")
    again = tool_result(_image_result(png), tmp_path / "images")
    assert (
        first.content
        == "Here it is.\n\n[image, image/png, 108 bytes: shown to the model if it takes images]"
    )
    (kept,) = first.images
    assert Path(kept).read_bytes() == png and Path(kept).suffix == ".png"
    assert again.images == first.images  # the same image is kept once
    assert [p.name for p in (tmp_path / "images").iterdir()] == [Path(kept).name]


@pytest.mark.parametrize(
    ("data", "mime_type", "why"),
    [
        (b"<svg/>", "image/svg+xml", "not shown"),
        (None, "image/png", "not valid base64, not shown"),
    ],
    ids=["a type models do not take", "broken base64"],
)
def test_images_that_cannot_go_are_only_described(
    tmp_path: Path, data: bytes | None, mime_type: str, why: str
) -> None:
    result = _image_result(b"", mime_type)
    block = result.content[1]
    assert isinstance(block, ImageContent)
    block.data = base64.b64encode(data).decode() if data is not None else "%%not base64%%"
    observed = tool_result(result, tmp_path / "images")
    assert observed.images == ()
    assert observed.content.endswith(f": {why}]")
    assert not (tmp_path / "images").exists()


def test_structured_content_is_shown_once() -> None:
    data = {"files": 3, "root": "/r"}
    repeated = CallToolResult(
        content=[TextContent(type="text", text=json.dumps(data))], structured_content=data
    )
    assert tool_result(repeated).content == json.dumps(data)
    wrapped = CallToolResult(
        content=[TextContent(type="text", text="done")], structured_content={"result": "done"}
    )
    assert tool_result(wrapped).content == "done"
    only = CallToolResult(content=[], structured_content=data)
    assert json.loads(tool_result(only).content) == data
    both = CallToolResult(
        content=[TextContent(type="text", text="3 files")], structured_content=data
    )
    assert tool_result(both).content == "3 files\n\nStructured result:\n" + json.dumps(
        data, indent=2
    )


def test_an_error_result_and_an_empty_one() -> None:
    failed = tool_result(
        CallToolResult(content=[TextContent(type="text", text="no such page")], is_error=True)
    )
    assert failed.is_error and failed.content == "no such page"
    assert tool_result(CallToolResult(content=[])).content == EMPTY_RESULT
