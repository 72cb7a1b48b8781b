"""The tool schemas match the interface Devstral was tuned on."""

from pathlib import Path

import pytest

from devcli.config import ConfigError, Settings
from devcli.tools.registry import ToolBox


def schemas_by_name(tmp_path: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    box = ToolBox.default(tmp_path)
    return {s.name: s.wire()["function"] for s in box.schemas()}


def test_tool_names(tmp_path: Path) -> None:
    assert set(schemas_by_name(tmp_path)) == {
        "execute_bash",
        "str_replace_editor",
        "think",
        "finish",
        "git",
    }


def test_the_git_tool_can_be_switched_off(tmp_path: Path) -> None:
    without = ToolBox.default(tmp_path, Settings(tools=["-git"]))
    assert list(without.tools) == ["execute_bash", "str_replace_editor", "think", "finish"]
    only = ToolBox.default(tmp_path, Settings(tools=["execute_bash", "str_replace_editor"]))
    assert list(only.tools) == ["execute_bash", "str_replace_editor", "finish"]


def test_unknown_tool_names_in_settings_are_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no tool is named '-gti'"):
        ToolBox.default(tmp_path, Settings(tools=["-gti"]))


def test_execute_bash_parameters(tmp_path: Path) -> None:
    params = schemas_by_name(tmp_path)["execute_bash"]["parameters"]
    assert params["required"] == ["command"]
    assert params["properties"]["command"]["type"] == "string"
    assert params["properties"]["is_input"]["enum"] == ["true", "false"]
    assert params["properties"]["timeout"]["type"] == "number"
    assert "title" not in params and "anyOf" not in str(params)


def test_editor_parameters(tmp_path: Path) -> None:
    params = schemas_by_name(tmp_path)["str_replace_editor"]["parameters"]
    assert sorted(params["required"]) == ["command", "path"]
    props = params["properties"]
    assert props["command"]["enum"] == ["view", "create", "str_replace", "insert", "undo_edit"]
    assert props["insert_line"]["type"] == "integer"
    assert props["view_range"] == {
        **props["view_range"],
        "type": "array",
        "items": {"type": "integer"},
    }
    for name in ("file_text", "old_str", "new_str"):
        assert props[name]["type"] == "string"


def test_think_and_finish_parameters(tmp_path: Path) -> None:
    schemas = schemas_by_name(tmp_path)
    assert schemas["think"]["parameters"]["required"] == ["thought"]
    finish = schemas["finish"]["parameters"]
    assert sorted(finish["required"]) == ["message", "task_completed"]
    assert finish["properties"]["task_completed"]["enum"] == ["true", "false", "partial"]


def test_every_tool_and_parameter_is_described(tmp_path: Path) -> None:
    for schema in schemas_by_name(tmp_path).values():
        assert len(schema["description"]) > 40
        for prop in schema["parameters"]["properties"].values():
            assert prop.get("description"), schema["name"]
