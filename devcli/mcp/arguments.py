"""Checking a call's arguments against the server's input schema before sending it.

Errors read like those of devcli's own tools, so the model fixes the call the same way.
"""

from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from devcli.tools.base import ArgumentError

_MAX_PROBLEMS = 5
_EXTRAS_KEYWORDS = ("additionalProperties", "patternProperties")


class ArgumentChecker:
    """Validates arguments with the schema's own draft; a schema that is itself invalid is
    not used (the server has the last word).

    A parameter the schema does not list is reported too, unless the schema says extra
    ones are welcome: servers tend to ignore them silently, and the model would never learn.
    """

    def __init__(self, tool_name: str, input_schema: dict[str, Any]) -> None:
        self.tool_name = tool_name
        listed = input_schema.get("properties")
        extras_declared = any(k in input_schema for k in _EXTRAS_KEYWORDS)
        self._known: set[str] | None = (
            set(listed) if isinstance(listed, dict) and listed and not extras_declared else None
        )
        self._validator: Validator | None = None
        try:
            cls = validator_for(input_schema, default=Draft202012Validator)
            cls.check_schema(input_schema)
            self._validator = cls(input_schema)
        except SchemaError:
            self._validator = None

    def check(self, arguments: dict[str, Any]) -> None:
        """ArgumentError, written for the model, when the arguments do not fit."""
        problems: list[str] = []
        unknown = [
            name for name in arguments if self._known is not None and name not in self._known
        ]
        if unknown:
            problems.append("unknown parameter " + ", ".join(f"`{name}`" for name in unknown))
        if self._validator is not None:
            errors = sorted(self._validator.iter_errors(arguments), key=lambda e: list(e.path))
            problems += [_describe(error) for error in errors]
        if not problems:
            return
        if len(problems) > _MAX_PROBLEMS:
            problems[_MAX_PROBLEMS:] = [f"{len(problems) - _MAX_PROBLEMS} more"]
        summary = "; ".join(problems)
        raise ArgumentError(f"Invalid arguments for `{self.tool_name}`: {summary}.")


def _describe(error: ValidationError) -> str:
    where = ".".join(str(part) for part in error.absolute_path)
    wanted = error.validator_value
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict) and isinstance(wanted, list):
        missing = [n for n in wanted if n not in instance]
        names = ", ".join(f"`{_join(where, n)}`" for n in missing)
        return f"missing required parameter {names}"
    schema = error.schema
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(schema.get("properties", {})) if isinstance(schema, dict) else set()
        extra = [n for n in error.instance if n not in known]
        names = ", ".join(f"`{_join(where, n)}`" for n in extra)
        return f"unknown parameter {names}"
    if error.validator == "type" and not where:
        return "the arguments must be a JSON object"
    return f"parameter `{where or '(arguments)'}`: {error.message}"


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name
