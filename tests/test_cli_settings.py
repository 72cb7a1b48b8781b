"""The command-line flags come from the Settings fields declared with `flag(...)`: what the
CLI reads from config.py's source is exactly what the Settings class says."""

import types
from typing import Any, Union, get_args, get_origin

from annotated_types import Ge

from devcli.cli_settings import flag_settings, setting_flags
from devcli.config import Settings


def _flag_fields() -> dict[str, Any]:
    return {
        name: field
        for name, field in Settings.model_fields.items()
        if isinstance(field.json_schema_extra, dict) and "flag_group" in field.json_schema_extra
    }


def _plain_kind(annotation: Any) -> type:
    options = [annotation]
    if get_origin(annotation) in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
    return options[0] if len(options) == 1 and options[0] in (bool, int, float) else str


def test_every_flag_matches_its_settings_field() -> None:
    fields = _flag_fields()
    flags = setting_flags()
    assert [flag.name for flag in flags] == list(fields)
    for flag in flags:
        field = fields[flag.name]
        extra = field.json_schema_extra
        assert isinstance(extra, dict)
        assert flag.help == field.description
        assert flag.group == extra["flag_group"]
        assert flag.short == extra.get("flag_short")
        assert flag.kind is _plain_kind(field.annotation)
        minimum = next((m.ge for m in field.metadata if isinstance(m, Ge)), None)
        assert flag.minimum == minimum


def test_groups_split_the_flags_the_commands_take() -> None:
    assert flag_settings("agent") == [
        "max_steps",
        "approval",
        "dangerously_skip_gates",
        "sandbox",
        "network",
    ]
    assert flag_settings("commit") == ["commit"]
    assert "model" in flag_settings("model") and "max_steps" not in flag_settings("model")
    assert set(flag_settings()) == set(_flag_fields())
