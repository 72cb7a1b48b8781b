"""A bash command seen as the simple commands it may run, with words expanded as far as they
can be known before it runs.

bashlex parses the command; a walker then follows it in order, tracking the working directory
(`cd`, `pushd`) and shell variables, so `cd / && rm -rf *` or `X=/; rm -rf $X` expand to what
bash would run. Anything that cannot be known (command output, unset or positional variables)
becomes the UNKNOWN marker inside the word, which rules treat as "could be anything".
"""

import itertools
import os
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import bashlex

UNKNOWN = "\x00"  # a stretch of a word whose value is only known at run time
OWN_JOB = "\x02"  # `$!`: the last background job this shell started
MAX_VARIANTS = 32  # beyond this many expansions of one command, multi-valued words collapse

_OUTPUT_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "<>"})


@dataclass(frozen=True)
class Redirect:
    operator: str
    target: str  # expanded file name, or a file descriptor number for `>&`


@dataclass(frozen=True)
class SimpleCommand:
    """One command bash would run, after expansion. `via` names the wrapper that runs it."""

    argv: tuple[str, ...]
    cwd: str
    text: str
    redirects: tuple[Redirect, ...] = ()
    piped_from: tuple[str, ...] = ()  # programs of the earlier stages of its pipeline
    fed_by: tuple[str, ...] = ()  # programs whose output becomes part of its words
    via: str | None = None

    @property
    def program(self) -> str:
        return program_name(self.argv[0]) if self.argv else ""

    @property
    def args(self) -> tuple[str, ...]:
        return self.argv[1:]

    def output_targets(self) -> list[str]:
        return [r.target for r in self.redirects if r.operator in _OUTPUT_REDIRECTS]


class ShellParseError(ValueError):
    """bashlex could not parse the command."""


def program_name(word: str) -> str:
    return posixpath.basename(word.lstrip("\\"))


@dataclass(frozen=True)
class ShellEnvironment:
    """What the walker knows before the command runs."""

    cwd: str
    home: str
    environ: Mapping[str, str] = field(default_factory=dict)


@dataclass
class _State:
    cwds: frozenset[str]
    variables: dict[str, frozenset[str]]

    def copy(self) -> "_State":
        return _State(self.cwds, dict(self.variables))

    def merged(self, other: "_State") -> "_State":
        names = self.variables.keys() | other.variables.keys()
        variables = {
            name: self.variables.get(name, frozenset({UNKNOWN}))
            | other.variables.get(name, frozenset({UNKNOWN}))
            for name in names
        }
        return _State(self.cwds | other.cwds, variables)


def parse_commands(command: str, env: ShellEnvironment) -> list[SimpleCommand]:
    """Every simple command in `command`, in order; ShellParseError if bashlex fails."""
    walker = _Walker(env)
    state = _State(frozenset({env.cwd}), {})
    walker.walk_source(command, state)
    return walker.found


def parse_commands_from(command: str, cwd: str, env: ShellEnvironment) -> list[SimpleCommand]:
    """Like parse_commands, starting in another directory (for `bash -c`, `env -C` …)."""
    return parse_commands(command, replace(env, cwd=cwd))


class _Walker:
    def __init__(self, env: ShellEnvironment) -> None:
        self.env = env
        self.found: list[SimpleCommand] = []

    # -- structure -------------------------------------------------------------------------

    def walk_source(self, source: str, state: _State) -> _State:
        try:
            trees = bashlex.parse(source)
        except Exception as exc:  # bashlex raises several unrelated types
            raise ShellParseError(f"cannot parse the command: {exc}") from exc
        for tree in trees:
            state = self.walk(tree, source, state)
        return state

    def walk(
        self, node: Any, source: str, state: _State, piped_from: tuple[str, ...] = ()
    ) -> _State:
        kind = node.kind
        if kind == "command":
            return self._command(node, source, state, piped_from)
        if kind == "list":
            return self._list(node, source, state)
        if kind == "pipeline":
            self._pipeline(node, source, state)
            return state
        if kind == "compound":
            return self._compound(node, source, state)
        if kind in ("if", "while", "until"):
            after = state.copy()
            for part in _children(node):
                after = self.walk(part, source, after)
            return state.merged(after)
        if kind == "for":
            return self._for(node, source, state)
        if kind == "function":
            body = state.copy()
            for part in _children(node)[1:]:
                body = self.walk(part, source, body)
            return state
        if kind in ("reservedword", "operator", "pipe", "word", "redirect", "assignment"):
            return state
        raise ShellParseError(f"unsupported shell construct: {kind}")

    def _list(self, node: Any, source: str, state: _State) -> _State:
        before_last = state
        after_or = False
        for part in node.parts:
            if part.kind == "operator":
                after_or = part.op == "||"
                continue
            start = before_last.merged(state) if after_or else state
            before_last = start
            state = self.walk(part, source, start.copy())
            after_or = False
        return state

    def _pipeline(self, node: Any, source: str, state: _State) -> None:
        earlier: list[str] = []
        for part in node.parts:
            if part.kind == "pipe":
                continue
            count = len(self.found)
            self.walk(part, source, state.copy(), tuple(earlier))
            earlier.extend(c.program for c in self.found[count:] if c.via is None)

    def _compound(self, node: Any, source: str, state: _State) -> _State:
        parts = list(node.list)
        subshell = bool(parts) and parts[0].kind == "reservedword" and parts[0].word == "("
        inner = state.copy()
        for part in parts:
            inner = self.walk(part, source, inner)
        for redirect in getattr(node, "redirects", []) or []:
            self._redirect(redirect, source, inner)
        return state if subshell else inner

    def _for(self, node: Any, source: str, state: _State) -> _State:
        parts = _children(node)
        name = parts[1].word if len(parts) > 1 and parts[1].kind == "word" else ""
        values: set[str] = set()
        index = 2
        if index < len(parts) and parts[index].kind == "reservedword" and parts[index].word == "in":
            index += 1
            while index < len(parts) and parts[index].kind == "word":
                values |= self.expand(parts[index], source, state)
                index += 1
        else:
            values.add(UNKNOWN)
        body = state.copy()
        if name:
            body.variables[name] = frozenset(values) if values else frozenset({""})
        for part in parts[index:]:
            body = self.walk(part, source, body)
        return state.merged(body)

    # -- simple commands -------------------------------------------------------------------

    def _command(
        self, node: Any, source: str, state: _State, piped_from: tuple[str, ...]
    ) -> _State:
        words: list[frozenset[str]] = []
        assignments: list[tuple[str, frozenset[str]]] = []
        redirects: list[Redirect] = []
        count = len(self.found)
        for part in node.parts:
            if part.kind == "word":
                words.append(self.expand(part, source, state))
            elif part.kind == "assignment":
                assignments.append(self._assignment(part, source, state))
            elif part.kind == "redirect":
                redirects.extend(self._redirect(part, source, state))
        fed_by = tuple(c.program for c in self.found[count:])
        text = source[node.pos[0] : node.pos[1]]
        if not words:
            for name, values in assignments:
                state.variables[name] = values
            return state
        for argv, cwd in _variants(words, state.cwds):
            self.found.append(
                SimpleCommand(
                    argv=argv,
                    cwd=cwd,
                    text=text,
                    redirects=tuple(redirects),
                    piped_from=piped_from,
                    fed_by=fed_by,
                )
            )
        return self._effects(words, state)

    def _effects(self, words: list[frozenset[str]], state: _State) -> _State:
        """What a builtin changes in the shell: the directory, or variables."""
        names = {program_name(w) for w in words[0]}
        args = [next(iter(w)) if len(w) == 1 else UNKNOWN for w in words[1:]]
        if names & {"cd", "pushd"}:
            operands = [a for a in args if not (a.startswith("-") and a != "-")]
            target = operands[0] if operands else self.env.home
            if target == "-":
                target = UNKNOWN
            state.cwds = frozenset(_join(cwd, target) for cwd in state.cwds)
        elif names & {"popd"}:
            state.cwds = frozenset({UNKNOWN})
        elif names & {"export", "declare", "local", "readonly", "typeset"}:
            for arg in args:
                name, equals, value = arg.partition("=")
                if equals and _is_name(name):
                    state.variables[name] = frozenset({value})
        elif names & {"unset"}:
            for arg in args:
                if _is_name(arg):
                    state.variables[arg] = frozenset({""})
        elif names & {"read", "mapfile", "readarray", "source", "."}:
            # They can set any variable; what is known about variables no longer holds.
            state.variables = {name: frozenset({UNKNOWN}) for name in state.variables}
        return state

    def _assignment(self, node: Any, source: str, state: _State) -> tuple[str, frozenset[str]]:
        name, _, _ = node.word.partition("=")
        name = name.rstrip("+")
        values = self.expand(node, source, state, strip_prefix=len(name) + 1)
        return name, values

    def _redirect(self, node: Any, source: str, state: _State) -> list[Redirect]:
        operator = str(node.type)
        target = node.output
        if isinstance(target, int):
            return [Redirect(operator, str(target))]
        if target is None or getattr(target, "kind", "") != "word":
            return []
        return [Redirect(operator, value) for value in self.expand(target, source, state)]

    # -- words -----------------------------------------------------------------------------

    def expand(
        self, node: Any, source: str, state: _State, strip_prefix: int = 0
    ) -> frozenset[str]:
        """The values a word can take: parameters, `~`, substitutions, then braces."""
        text: str = node.word
        segments: list[frozenset[str]] = []
        cursor = 0
        for part in sorted(getattr(node, "parts", []) or [], key=lambda p: p.pos[0]):
            raw = source[part.pos[0] : part.pos[1]]
            at = text.find(raw, cursor)
            if at < 0:
                # The word's text no longer shows the part verbatim (quoting): give up on it.
                self._walk_substitutions(part, source, state)
                return frozenset({UNKNOWN})
            segments.append(frozenset({text[cursor:at]}))
            segments.append(self._part_values(part, source, state))
            cursor = at + len(raw)
        segments.append(frozenset({text[cursor:]}))
        joined = _combine(segments)
        if strip_prefix:
            joined = frozenset(value[strip_prefix:] for value in joined)
        expanded: set[str] = set()
        for value in joined:
            expanded.update(expand_braces(value))
        if len(expanded) > MAX_VARIANTS:
            return frozenset({UNKNOWN})
        return frozenset(expanded)

    def _part_values(self, part: Any, source: str, state: _State) -> frozenset[str]:
        if part.kind == "parameter":
            return self._parameter(str(part.value), state)
        if part.kind == "tilde":
            value = str(part.value)
            if value == "~":
                return frozenset({self.env.home})
            expanded = os.path.expanduser(value)
            return frozenset({expanded if expanded != value else UNKNOWN})
        self._walk_substitutions(part, source, state)
        return frozenset({UNKNOWN})

    def _walk_substitutions(self, part: Any, source: str, state: _State) -> None:
        command = getattr(part, "command", None)
        if command is not None:
            self.walk(command, source, state.copy())

    def _parameter(self, spec: str, state: _State) -> frozenset[str]:
        if spec == "!":
            return frozenset({OWN_JOB})
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=])(.*))?", spec, re.DOTALL)
        if match is None:
            return frozenset({UNKNOWN})  # positional, special, or a transforming expansion
        name, operator, default = match.groups()
        values = self._variable(name, state)
        if operator is None:
            return values
        empty_counts = operator.startswith(":")
        result: set[str] = set()
        for value in values:
            missing = value == "" if empty_counts else False
            if value == UNKNOWN:
                result.update({UNKNOWN, default})
            elif missing:
                result.add(default)
            else:
                result.add(value)
        return frozenset(result)

    def _variable(self, name: str, state: _State) -> frozenset[str]:
        if name in state.variables:
            return state.variables[name]
        if name == "PWD":
            return state.cwds
        if name == "HOME":
            return frozenset({self.env.environ.get("HOME", self.env.home)})
        if name in self.env.environ:
            return frozenset({self.env.environ[name]})
        return frozenset({UNKNOWN})


def _children(node: Any) -> list[Any]:
    return list(getattr(node, "parts", None) or getattr(node, "list", None) or [])


def _is_name(text: str) -> bool:
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) is not None


def _join(cwd: str, target: str) -> str:
    if UNKNOWN in target or (UNKNOWN in cwd and not target.startswith("/")):
        return UNKNOWN
    return posixpath.normpath(posixpath.join(cwd, target))


def _combine(segments: list[frozenset[str]]) -> frozenset[str]:
    total = 1
    for segment in segments:
        total *= len(segment)
    if total > MAX_VARIANTS:
        return frozenset({UNKNOWN})
    return frozenset("".join(parts) for parts in itertools.product(*segments))


def _variants(
    words: list[frozenset[str]], cwds: frozenset[str]
) -> Iterator[tuple[tuple[str, ...], str]]:
    choices: list[Iterable[str]] = [sorted(w) for w in words]
    total = len(cwds)
    for word in words:
        total *= len(word)
    if total > MAX_VARIANTS:
        choices = [sorted(w) if len(w) == 1 else [UNKNOWN] for w in words]
    for cwd in sorted(cwds):
        for argv in itertools.product(*choices):
            yield tuple(argv), cwd


def expand_braces(word: str) -> list[str]:
    """Bash brace expansion of `{a,b}` lists; `{1..3}` ranges keep their two ends."""
    depth = 0
    start = -1
    for index, char in enumerate(word):
        if char == "{":
            if depth == 0:
                start = index
            depth += 1
        elif char == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                inner = word[start + 1 : index]
                options = _brace_options(inner)
                if options is None:
                    continue
                prefix, suffix = word[:start], word[index + 1 :]
                results: list[str] = []
                for option in options:
                    results.extend(expand_braces(prefix + option + suffix))
                return results[: MAX_VARIANTS + 1]
    return [word]


def _brace_options(inner: str) -> list[str] | None:
    parts: list[str] = []
    depth = 0
    current = ""
    for char in inner:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        current += char
    parts.append(current)
    if len(parts) > 1:
        return parts
    ends = re.fullmatch(r"(-?\w+)\.\.(-?\w+)(?:\.\.-?\d+)?", inner)
    if ends:
        return [ends.group(1), ends.group(2)]
    return None
