"""GBNF grammars that force a reply to be one well-formed tool call (`tool_choice = required`).

The call can only name an offered tool, give its required parameters, use the declared types
and enum values, and nothing follows it. JSON is written the way json.dumps writes it
(`{"k": "v", "n": 1}`), which is also how mistral-common renders calls in the history.
"""

import json
import re
from collections.abc import Mapping
from typing import Any

from devcli.tool_schema import FunctionSpec, ToolSchemas

_JSON_RULES = {
    "json-string": r'"\"" json-char* "\""',
    "json-char": r'[^"\\\x00-\x1f] | "\\" (["\\/bfnrt] | "u" hex hex hex hex)',
    "hex": r"[0-9a-fA-F]",
    "json-int": r'"-"? ([0-9] | [1-9] [0-9]*)',
    "json-number": r'json-int ("." [0-9]+)? ([eE] [-+]? [0-9]+)?',
    "json-bool": r'"true" | "false"',
    "json-value": r'json-object | json-array | json-string | json-number | json-bool | "null"',
    "json-object": r'"{" (json-string ": " json-value (", " json-string ": " json-value)*)? "}"',
    "json-array": r'"[" (json-value (", " json-value)*)? "]"',
}
# OpenHands parameter values may hold any text except the tags that end or start a parameter
# or a call (so code with `<`, `<<EOF` or `</div>` stays possible).
_TAGS_NOT_IN_VALUES = ("</parameter>", "</function", "<parameter=", "<function=")


def literal(text: str) -> str:
    """`text` as a GBNF string literal."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def _rule_name(*parts: str) -> str:
    return "-".join(re.sub(r"[^a-zA-Z0-9]+", "-", part).strip("-") or "x" for part in parts)


def _kinds(spec: Mapping[str, Any]) -> list[str]:
    kind = spec.get("type")
    found = [kind] if isinstance(kind, str) else list(kind or [])
    for option in spec.get("anyOf", ()) or ():
        if isinstance(option, Mapping):
            found += [k for k in _kinds(option) if k not in found]
    return found


class _Grammar:
    def __init__(self) -> None:
        self.rules: dict[str, str] = {}

    def add(self, name: str, body: str) -> str:
        self.rules[name] = body
        return name

    def text(self) -> str:
        rules = {**self.rules, **_JSON_RULES, **_text_without(_TAGS_NOT_IN_VALUES, "tag-text")}
        return "\n".join(f"{name} ::= {body}" for name, body in rules.items()) + "\n"

    def json_value(self, spec: Any, name: str) -> str:
        if not isinstance(spec, Mapping):
            return "json-value"
        if "enum" in spec:
            return "(" + " | ".join(literal(json.dumps(v)) for v in spec["enum"]) + ")"
        options: list[str] = []
        for kind in _kinds(spec):
            match kind:
                case "string":
                    options.append("json-string")
                case "integer":
                    options.append("json-int")
                case "number":
                    options.append("json-number")
                case "boolean":
                    options.append("json-bool")
                case "null":
                    options.append('"null"')
                case "array":
                    item = self.json_value(spec.get("items"), name + "-item")
                    options.append(f'"[" ({item} (", " {item})*)? "]"')
                case "object":
                    options.append(self.json_object(spec, name))
        return "(" + " | ".join(options) + ")" if options else "json-value"

    def json_object(self, spec: Mapping[str, Any], name: str) -> str:
        properties = spec.get("properties")
        if not isinstance(properties, Mapping) or not properties:
            return "json-object"
        members = {
            key: literal(json.dumps(key) + ": ")
            + " "
            + self.json_value(value, _rule_name(name, key))
            for key, value in properties.items()
        }
        return self.add(name, _members('"{"', '"}"', '", "', members, spec.get("required")))


def _char_class_without(chars: set[str]) -> str:
    escaped = "".join("\\" + c if c in "]\\^-" else c for c in sorted(chars))
    return f"[^{escaped}]"


def _text_without(words: tuple[str, ...], name: str) -> dict[str, str]:
    """Rules for text that never contains any of `words` (which all start with "<").

    A small automaton: each rule is a state "just read this prefix of a word"; a character
    that continues no word returns to plain text, and a "<" restarts matching.
    """
    prefixes = sorted({word[1:i] for word in words for i in range(1, len(word))})
    rule_of = {prefix: f"{name}-lt{index}" for index, prefix in enumerate(prefixes)}
    rules = {name: f'([^<] | "<" {rule_of[""]})*'}
    for prefix, rule in rule_of.items():
        nexts = {
            word[len(prefix) + 1]
            for word in words
            if word[1:].startswith(prefix) and len(word) > len(prefix) + 1
        }
        options = [_char_class_without(nexts | {"<"}), f'"<" {rule_of[""]}']
        for char in sorted(nexts):
            if prefix + char in rule_of:  # a complete word has no state: it cannot be written
                options.append(f"{literal(char)} {rule_of[prefix + char]}")
        rules[rule] = " | ".join(options)
    return rules


def _members(
    opening: str, closing: str, separator: str, members: Mapping[str, str], required: Any
) -> str:
    """Required members in order, then each optional one, or any members when none is required."""
    needed = [key for key in members if key in (required or ())]
    optional = [key for key in members if key not in needed]
    if needed:
        body = f" {separator} ".join(members[key] for key in needed)
        body += "".join(f" ({separator} {members[key]})?" for key in optional)
        return f"{opening} {body} {closing}"
    choice = "(" + " | ".join(members.values()) + ")"
    return f"{opening} ({choice} ({separator} {choice})*)? {closing}"


def _functions(tools: ToolSchemas) -> list[FunctionSpec]:
    return [tool.function for tool in tools]


def mistral_call_grammar(tools: ToolSchemas, tool_calls_id: int, args_id: int | None) -> str:
    """`[TOOL_CALLS]name[ARGS]{...}` (v11+), or `[TOOL_CALLS][{"name": ..., "arguments": ...}]`
    when the vocabulary has no [ARGS] token (v3/v7)."""
    grammar = _Grammar()
    choices: list[str] = []
    for function in _functions(tools):
        name = function.name
        arguments = grammar.json_object(function.parameters, _rule_name("args", name))
        if args_id is not None:
            choices.append(f"{literal(name)} <[{args_id}]> {arguments}")
        else:
            head = literal('[{"name": ' + json.dumps(name) + ', "arguments": ')
            choices.append(f"{head} {arguments} {literal('}]')}")
    grammar.add("root", f"<[{tool_calls_id}]> ({' | '.join(choices)})")
    return grammar.text()


def json_call_grammar(tools: ToolSchemas, opening: str, arguments_key: str, closing: str) -> str:
    """`opening{"name": "NAME", "ARGUMENTS_KEY": {...}}closing`: a call as a JSON object, the
    way Hermes/Qwen (`<tool_call>` tags, "arguments") and Llama 3.x ("parameters") write it."""
    grammar = _Grammar()
    choices: list[str] = []
    for function in _functions(tools):
        name = function.name
        arguments = grammar.json_object(function.parameters, _rule_name("args", name))
        head = literal('{"name": ' + json.dumps(name) + ", " + json.dumps(arguments_key) + ": ")
        choices.append(f"{head} {arguments} {literal('}')}")
    body = f"({' | '.join(choices)})"
    parts = [literal(opening)] if opening else []
    parts.append(body)
    if closing:
        parts.append(literal(closing))
    grammar.add("root", " ".join(parts))
    return grammar.text()


def openhands_call_grammar(tools: ToolSchemas) -> str:
    """`<function=name>` with one `<parameter=key>value</parameter>` line per argument."""
    grammar = _Grammar()
    choices: list[str] = []
    for function in _functions(tools):
        name = function.name
        parameters = function.parameters
        properties = function.properties
        members = {
            key: literal(f"<parameter={key}>")
            + " "
            + _tag_value(grammar, spec, _rule_name("param", name, key))
            + " "
            + literal("</parameter>\n")
            for key, spec in properties.items()
        }
        body = _members("", "", "", members, parameters.get("required")).strip() if members else ""
        rule = grammar.add(
            _rule_name("call", name), f"{literal(name + '>' + chr(10))} {body}".strip()
        )
        choices.append(rule)
    grammar.add("root", f'"<function=" ({" | ".join(choices)}) "</function>"')
    return grammar.text()


def _tag_value(grammar: _Grammar, spec: Any, name: str) -> str:
    if not isinstance(spec, Mapping):
        return "tag-text"
    if "enum" in spec:
        return "(" + " | ".join(literal(str(value)) for value in spec["enum"]) + ")"
    kinds = _kinds(spec)
    if "string" in kinds or not kinds:
        return "tag-text"
    return grammar.json_value(spec, name)
