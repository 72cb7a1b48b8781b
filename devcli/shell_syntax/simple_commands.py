"""A bash command seen as the simple commands it may run, with words expanded as far as they
can be known before it runs.

bashlex parses the command; a walker then follows it in order, tracking the working directory
(`cd`, `pushd`) and shell variables, so `cd / && rm -rf *` or `X=/; rm -rf $X` expand to what
bash would run. Anything that cannot be known (command output, unset or positional variables)
becomes the UNKNOWN marker inside the word, which rules treat as "could be anything".

Unquoted expansions are split into words as bash splits them (on IFS, tracked when it is
assigned), so `x="rm -rf ~"; $x` is seen as `rm -rf ~`. A command word only known at run
time (`$(echo rm)`, an unknown variable) makes the command opaque: nothing can be said of it.
Functions are followed where they are called, in the state of the call, including functions
defined by earlier commands of the same shell (ShellEnvironment.functions). Here-document
bodies come from shell_source, which lifts them out before parsing.
"""

import itertools
import os
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import bashlex

from devcli.shell_syntax.shell_source import MAX_CHARS, MAX_WORDS, HereDoc, count_words, prepare

UNKNOWN = "\x00"  # a stretch of a word whose value is only known at run time
OWN_JOB = "\x02"  # `$!`: the last background job this shell started
SPLIT = "\x03"  # where an unquoted expansion splits one word into several
MAX_VARIANTS = 32  # beyond this many expansions of one command, multi-valued words collapse
MAX_CALL_DEPTH = 4  # functions calling functions are followed this deep
_DEFAULT_IFS = " \t\n"
_PIPED_KEPT = 16  # distinct programs remembered of a pipeline's earlier stages
_SUBSTITUTION_IN_TEXT = re.compile(r"\$\(([^()]*)\)|`([^`]*)`")

_OUTPUT_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "<>"})


@dataclass(frozen=True)
class Redirect:
    operator: str
    target: str  # expanded file name, or a file descriptor number for `>&`
    body: str | None = None  # what a here-document or here-string feeds in


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
    opaque: str | None = None  # why nothing can be known of what it does
    hazard: str | None = None  # a danger to the whole system found in its shape (fork bomb)

    @property
    def program(self) -> str:
        return program_name(self.argv[0]) if self.argv else ""

    def run_by(self, parent: "SimpleCommand", via: str) -> "SimpleCommand":
        """This command as run by `parent` (a script, an alias): the rules quote the parent's
        text and name the wrapper."""
        return replace(self, text=parent.text, via=via)

    @property
    def args(self) -> tuple[str, ...]:
        return self.argv[1:]

    def output_targets(self) -> list[str]:
        return [r.target for r in self.redirects if r.operator in _OUTPUT_REDIRECTS]

    @property
    def stdin_text(self) -> str | None:
        """The text a here-document, a here-string or a plain `echo` piped in feeds it."""
        fed = [r.body for r in self.redirects if r.operator in ("<<", "<<-", "<<<", "|")]
        return fed[-1] if fed else None


def opaque_command(parent: "SimpleCommand", reason: str, via: str | None = None) -> "SimpleCommand":
    """A stand-in for commands that cannot be known before they run."""
    return SimpleCommand(
        argv=(UNKNOWN,),
        cwd=parent.cwd,
        text=parent.text,
        piped_from=parent.piped_from,
        fed_by=parent.fed_by,
        via=via or parent.via,
        opaque=reason,
    )


class ShellParseError(ValueError):
    """bashlex could not parse the command."""


class CommandTooLong(ShellParseError):
    """Too many words to parse in bounded time; nothing is read of the command."""

    def __init__(self, words: int, chars: int) -> None:
        super().__init__(
            f"{words} words and {chars} characters outside here-documents; at most "
            f"{MAX_WORDS} and {MAX_CHARS} are analysed"
        )


def program_name(word: str) -> str:
    return posixpath.basename(word.lstrip("\\"))


@dataclass(frozen=True)
class ShellEnvironment:
    """What the walker knows before the command runs."""

    cwd: str
    home: str
    environ: Mapping[str, str] = field(default_factory=dict)
    # Functions the shell already knows (defined by earlier commands): name -> definition.
    functions: Mapping[str, str] = field(default_factory=dict)


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

    def separators(self, env: "ShellEnvironment") -> str | None:
        """The characters unquoted expansions split on; None when only known at run time."""
        values = self.variables.get("IFS")
        if values is None:
            return env.environ.get("IFS", _DEFAULT_IFS)
        if len(values) != 1 or UNKNOWN in next(iter(values)):
            return None
        return next(iter(values))


def parse_commands(command: str, env: ShellEnvironment) -> list[SimpleCommand]:
    """Every simple command in `command`, in order; ShellParseError if bashlex fails,
    CommandTooLong (before any parsing) if it has too many words."""
    return parse_with_functions(command, env)[0]


def parse_with_functions(
    command: str, env: ShellEnvironment
) -> tuple[list[SimpleCommand], dict[str, str]]:
    """The commands, and the functions the command defines (name -> definition)."""
    source = prepare(command)
    if not source.parseable_size:
        raise CommandTooLong(source.words, len(source.skeleton))
    walker = _Walker(env, source.bodies)
    trusted = True
    try:
        walker.walk_source(source.skeleton, _State(frozenset({env.cwd}), {}))
    except ShellParseError:
        if not source.bodies:
            raise
        trusted = False  # the skeleton misled the parser: read the command as it is
    if not trusted or walker.bodies_used != len(source.bodies):
        # bashlex and the here-document reader disagree: trust the parser on the whole text.
        if count_words(command) > MAX_WORDS:
            raise ShellParseError("its here-documents could not be told apart from commands")
        walker = _Walker(env, {})
        walker.walk_source(command, _State(frozenset({env.cwd}), {}))
    return walker.found, walker.defined


def parse_commands_from(command: str, cwd: str, env: ShellEnvironment) -> list[SimpleCommand]:
    """Like parse_commands, starting in another directory (for `bash -c`, `env -C` …)."""
    return parse_commands(command, replace(env, cwd=cwd))


class _Walker:
    def __init__(self, env: ShellEnvironment, bodies: Mapping[int, HereDoc]) -> None:
        self.env = env
        self.bodies = bodies
        self.bodies_used = 0
        self.found: list[SimpleCommand] = []
        # name -> (body nodes, the text their positions index)
        self.functions: dict[str, tuple[Any, str]] = {}
        self.defined: dict[str, str] = {}  # functions this command defines
        self._calls: list[str] = []  # functions being followed, innermost last
        for definition in env.functions.values():
            self._register(definition)

    def _register(self, definition: str) -> None:
        """Know a function defined earlier without reading its body as commands now."""
        try:
            trees = bashlex.parse(definition)
        except Exception:  # bashlex raises several unrelated types
            return
        for tree in trees:
            if tree.kind == "function":
                self._remember_function(tree, definition)

    def _remember_function(self, node: Any, source: str) -> str:
        parts = _children(node)
        words = [p for p in parts if p.kind == "word"]
        name = words[0].word if words else ""
        body = parts[parts.index(words[0]) + 1 :] if words else []
        self.functions[name] = ([p for p in body if p.kind != "reservedword"], source)
        return name

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
            return self._function(node, source, state)
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
        echoed: str | None = None  # what the previous stage prints, when it is a plain echo
        for part in node.parts:
            if part.kind == "pipe":
                continue
            count = len(self.found)
            self.walk(part, source, state.copy(), tuple(earlier))
            stage = self.found[count:]
            if echoed is not None and stage and stage[0].stdin_text is None:
                fed = Redirect("|", "", echoed)
                self.found[count] = replace(stage[0], redirects=(*stage[0].redirects, fed))
            echoed = _echoed(stage)
            for command in stage:
                if command.via is None and command.program not in earlier:
                    earlier.append(command.program)
            del earlier[:-_PIPED_KEPT]

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

    def _function(self, node: Any, source: str, state: _State) -> _State:
        """A definition: remembered, and its body checked now as well as where it is called."""
        text = source[node.pos[0] : node.pos[1]]
        name = self._remember_function(node, source)
        self.defined[name] = text
        count = len(self.found)
        self._calls.append(name)
        body = state.copy()
        for part in self.functions[name][0]:
            body = self.walk(part, source, body)
        self._calls.pop()
        calls_itself = any(c.program == name for c in self.found[count:])
        # Piped or sent to the background (a lone `|` or `&`), each call starts two more.
        if calls_itself and re.search(r"(?<![|&])[|&](?![|&])", text):
            self.found.append(
                SimpleCommand(
                    argv=(name,),
                    cwd=next(iter(sorted(state.cwds))),
                    text=text,
                    hazard="defines a function that starts copies of itself (a fork bomb)",
                )
            )
        return state

    def _call(self, name: str, state: _State) -> None:
        """Follow a call of a known function, in the caller's state."""
        if name in self._calls or len(self._calls) >= MAX_CALL_DEPTH:
            return
        body_parts, body_source = self.functions[name]
        self._calls.append(name)
        inner = state.copy()
        # Its arguments are only known inside as $1, $2 …: unknown there.
        for part in body_parts:
            inner = self.walk(part, body_source, inner)
        self._calls.pop()

    def _command(
        self, node: Any, source: str, state: _State, piped_from: tuple[str, ...]
    ) -> _State:
        words: list[frozenset[str]] = []
        assignments: list[tuple[str, frozenset[str]]] = []
        redirects: list[Redirect] = []
        count = len(self.found)
        for part in node.parts:
            if part.kind == "word":
                words.append(self.expand(part, source, state, split=True))
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
            fields = tuple(f for word in argv for f in _fields(word))
            command = SimpleCommand(
                argv=fields or ("",),
                cwd=cwd,
                text=text,
                redirects=tuple(redirects),
                piped_from=piped_from,
                fed_by=fed_by,
            )
            # `$(npm bin)/eslint` runs eslint from some folder; `$(echo rm)` runs anything.
            if UNKNOWN in command.program:
                command = replace(command, opaque="its command name is only known when it runs")
            self.found.append(command)
            if command.program in self.functions and not command.via:
                self._call(command.program, state)
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
        appending = name.endswith("+")
        name = name.rstrip("+")
        prefix = len(name) + (2 if appending else 1)
        values = self.expand(node, source, state, strip_prefix=prefix)
        raw = source[node.pos[0] : node.pos[1]][prefix:]
        if raw.startswith("~"):  # bash expands a leading tilde in an assignment too
            values = frozenset(self._tilde(value) for value in values)
        return name, values

    def _tilde(self, value: str) -> str:
        head, slash, rest = value.partition("/")
        if head == "~":
            return self.env.home + slash + rest
        expanded = os.path.expanduser(head)
        return (expanded if expanded != head else UNKNOWN) + slash + rest

    def _redirect(self, node: Any, source: str, state: _State) -> list[Redirect]:
        operator = str(node.type)
        target = node.output
        if isinstance(target, int):
            return [Redirect(operator, str(target))]
        if target is None or getattr(target, "kind", "") != "word":
            return []
        if operator in ("<<", "<<-"):
            return [Redirect(operator, target.word, self._heredoc(node, source, state))]
        values = self.expand(target, source, state)
        if operator == "<<<":
            return [Redirect(operator, value, value + "\n") for value in values]
        return [Redirect(operator, value) for value in values]

    def _heredoc(self, node: Any, source: str, state: _State) -> str:
        """The body of a here-document; command substitutions in it run here and now."""
        heredoc = getattr(node, "heredoc", None)
        start = heredoc.pos[0] if heredoc is not None else -1
        lifted = self.bodies.get(start)
        if lifted is not None:
            self.bodies_used += 1
            body: str = lifted.text
            expands: bool = lifted.expands
        else:
            value = str(getattr(heredoc, "value", ""))
            body, expands = value[: value.rfind("\n") + 1], True
        if expands:
            for found in _SUBSTITUTION_IN_TEXT.finditer(body):
                inner = found.group(1) if found.group(1) is not None else found.group(2)
                try:
                    if count_words(inner) > MAX_WORDS or len(inner) > MAX_CHARS:
                        raise ShellParseError("too long")
                    self.walk_source(inner, state.copy())
                except ShellParseError:
                    self.found.append(
                        SimpleCommand(
                            argv=(UNKNOWN,),
                            cwd=next(iter(sorted(state.cwds))),
                            text=inner,
                            opaque="a here-document runs a command that cannot be read",
                        )
                    )
        return body

    # -- words -----------------------------------------------------------------------------

    def expand(
        self,
        node: Any,
        source: str,
        state: _State,
        strip_prefix: int = 0,
        split: bool = False,
    ) -> frozenset[str]:
        """The values a word can take: parameters, `~`, substitutions, then braces. With
        `split`, unquoted expansions mark where bash splits the word (SPLIT)."""
        text: str = node.word
        raw_word = source[node.pos[0] : node.pos[1]]
        quoted = _double_quoted(raw_word)
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
            values = self._part_values(part, source, state)
            offset = part.pos[0] - node.pos[0]
            if (
                split
                and part.kind != "tilde"
                and not (0 <= offset < len(quoted) and quoted[offset])
            ):
                values = self._split_values(values, state)
            segments.append(values)
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

    def _split_values(self, values: frozenset[str], state: _State) -> frozenset[str]:
        """Values of an unquoted expansion, with SPLIT where bash would split them."""
        separators = state.separators(self.env)
        if separators is None:
            return frozenset({UNKNOWN})
        if not separators:
            return values
        pattern = re.compile("[" + re.escape(separators) + "]+")
        return frozenset(pattern.sub(SPLIT, value) for value in values)

    def _part_values(self, part: Any, source: str, state: _State) -> frozenset[str]:
        if part.kind == "parameter":
            return self._parameter(str(getattr(part, "value", "")), state)
        if part.kind == "tilde":
            value = str(part.value)
            if value == "~":
                return frozenset({self.env.home})
            expanded = os.path.expanduser(value)
            return frozenset({expanded if expanded != value else UNKNOWN})
        self._walk_substitutions(part, source, state)
        known = self._known_output(part, state)
        return known if known is not None else frozenset({UNKNOWN})

    def _known_output(self, part: Any, state: _State) -> frozenset[str] | None:
        """What `$(pwd)` or `$(which NAME)` print, which is known before they run."""
        command = getattr(part, "command", None)
        if command is None or part.kind != "commandsubstitution" or command.kind != "command":
            return None
        parts = command.parts
        if any(p.kind != "word" or getattr(p, "parts", None) for p in parts):
            return None
        words = [p.word for p in parts]
        if words in (["pwd"], ["pwd", "-L"], ["pwd", "-P"]):
            return state.cwds
        if len(words) == 2 and words[0] == "which":
            return frozenset({words[1]})
        if len(words) == 3 and words[:2] in (["command", "-v"], ["type", "-P"], ["type", "-p"]):
            return frozenset({words[2]})
        return None

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


def _echoed(stage: list[SimpleCommand]) -> str | None:
    """What a pipeline stage that is one `echo` of known words prints."""
    if len(stage) != 1 or stage[0].program != "echo" or stage[0].output_targets():
        return None
    words = list(stage[0].args)
    while words and words[0] in ("-n", "-e", "-E"):
        words.pop(0)
    text = " ".join(words)
    return None if UNKNOWN in text or OWN_JOB in text else text + "\n"


def _fields(word: str) -> list[str]:
    """A word after splitting: empty fields made by splitting vanish, as in bash."""
    if SPLIT not in word:
        return [word]
    return [part for part in word.split(SPLIT) if part]


def _double_quoted(raw: str) -> list[bool]:
    """Per character of a word as written, whether it is inside double quotes."""
    inside: list[bool] = []
    double = single = escaped = False
    for char in raw:
        inside.append(double)
        if escaped:
            escaped = False
        elif char == "\\" and not single:
            escaped = True
        elif char == "'" and not double:
            single = not single
        elif char == '"' and not single:
            double = not double
    return inside


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
