"""A server tool's input schema, made acceptable to every backend devcli drives.

The schema goes to the model as the server wrote it, with what trips backends taken out:
mistral-common checks `parameters` against the Draft 7 meta-schema and wants an object with
`properties`; OpenAI-compatible servers reject an object schema without `properties`; small
models and grammar builders cope badly with `$ref`. So local references are inlined, titles
and `$schema` dropped, `anyOf [X, null]` read as X, and a property whose schema is not valid
Draft 7 is offered as "any value" (the server's own schema still checks the arguments).
"""

import copy
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError

# Keywords whose value maps names to schemas (not a schema itself).
_NAMED_SCHEMAS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_DEFS = ("$defs", "definitions")
_DROPPED = ("title", "$schema", "$id", "$comment")
_MAX_INLINE_DEPTH = 8


def model_schema(input_schema: dict[str, Any]) -> dict[str, Any]:
    """The `parameters` object to offer the model for a tool with this input schema."""
    source = copy.deepcopy(input_schema) if isinstance(input_schema, dict) else {}
    definitions = {**source.get("definitions", {}), **source.get("$defs", {})}
    inlined = _inline(source, definitions, depth=0)
    schema = _tidy(inlined) if isinstance(inlined, dict) else {}
    if not _has_refs(schema):
        schema.pop("$defs", None)
        schema.pop("definitions", None)
    schema["type"] = "object"
    if not isinstance(schema.get("properties"), dict):
        schema["properties"] = {}
    return _valid_draft7(schema)


def _inline(node: Any, definitions: dict[str, Any], depth: int) -> Any:
    """Replace `{"$ref": "#/$defs/X"}` by X, to a bounded depth (recursive ones stay)."""
    if isinstance(node, list):
        return [_inline(item, definitions, depth) for item in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    if isinstance(reference, str) and depth < _MAX_INLINE_DEPTH:
        name = _local_definition(reference)
        if name is not None and name in definitions:
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            target = _inline(copy.deepcopy(definitions[name]), definitions, depth + 1)
            if isinstance(target, dict):
                return {**target, **_inline(siblings, definitions, depth)}
    return {key: _inline(value, definitions, depth) for key, value in node.items()}


def _local_definition(reference: str) -> str | None:
    for prefix in ("#/$defs/", "#/definitions/"):
        if reference.startswith(prefix) and "/" not in reference[len(prefix) :]:
            return reference[len(prefix) :]
    return None


def _tidy(node: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED or (key == "default" and value is None):
            continue
        if key == "anyOf" and isinstance(value, list):
            variants = [v for v in value if v != {"type": "null"}]
            if len(variants) == 1 and isinstance(variants[0], dict):
                result.update(_tidy(variants[0]))
                continue
        if key in _NAMED_SCHEMAS and isinstance(value, dict):
            result[key] = {
                name: _tidy(sub) if isinstance(sub, dict) else sub for name, sub in value.items()
            }
        elif isinstance(value, dict):
            result[key] = _tidy(value)
        elif isinstance(value, list):
            result[key] = [_tidy(item) if isinstance(item, dict) else item for item in value]
        else:
            result[key] = value
    return result


def _has_refs(node: Any) -> bool:
    if isinstance(node, dict):
        return "$ref" in node or any(_has_refs(v) for k, v in node.items() if k not in _DEFS)
    if isinstance(node, list):
        return any(_has_refs(item) for item in node)
    return False


def _valid_draft7(schema: dict[str, Any]) -> dict[str, Any]:
    if _draft7_problem(schema) is None:
        return schema
    # Keep what is valid; a property that is not becomes "any value", with its description.
    properties: dict[str, Any] = {}
    for name, sub in schema["properties"].items():
        if not isinstance(sub, dict):
            sub = {}
        elif _draft7_problem({"type": "object", "properties": {name: sub}}):
            about = sub.get("description")
            sub = {"description": about} if isinstance(about, str) else {}
        properties[name] = sub
    repaired: dict[str, Any] = {"type": "object", "properties": properties}
    required = schema.get("required")
    if isinstance(required, list) and all(isinstance(r, str) for r in required):
        repaired["required"] = sorted(set(required), key=required.index)
    if isinstance(schema.get("description"), str):
        repaired["description"] = schema["description"]
    return repaired if _draft7_problem(repaired) is None else {"type": "object", "properties": {}}


def _draft7_problem(schema: dict[str, Any]) -> str | None:
    try:
        Draft7Validator.check_schema(schema)
    except SchemaError as exc:
        return exc.message
    return None
