"""A command's text made ready for the shell parser, in time linear in its length.

Here-document bodies are data (or the script of the program reading them), not commands, and
they are what makes commands long: `cat > app.py <<'EOF' … EOF`. They are lifted out, leaving
each terminator line in place, so the parser reads a short skeleton and the bodies are looked
up by where they were. Quoted delimiters (`<<'EOF'`), which bashlex cannot read, are written
bare in the skeleton: without a body the quoting changes nothing.

The parser's time grows faster than linearly with the number of words, so a skeleton of more
than MAX_WORDS words (or MAX_CHARS characters) is not parsed at all: the gates treat it as
unanalysable.
"""

import re
from dataclasses import dataclass, field

MAX_WORDS = 1500  # about 0.2 s of bashlex in the worst shapes (long pipelines)
MAX_CHARS = 200_000  # bashlex reads about a megabyte a second even of one quoted word

# A word for counting: a quoted string is one, however long.
_WORD = re.compile(r"""'[^']*'|"[^"\\]*(?:\\.[^"\\]*)*"|[^\s'"]+|['"]""")
# What matters on a line outside quotes: quotes, escapes, comments, arithmetic, `<<`.
_SPECIAL = re.compile(r"""\\.|\$'|'|"|\$\(\(|\(\(|\)\)|<<<|<<-?|#""", re.DOTALL)
_IN_DOUBLE = re.compile(r'\\.|"', re.DOTALL)
_IN_ANSI = re.compile(r"\\.|'", re.DOTALL)
_DELIMITER = re.compile(r"""[ \t]*((?:'[^'\n]*'|"[^"\n]*"|\\.|[^\s;&|<>()'"\\])+)""")


@dataclass(frozen=True)
class HereDoc:
    text: str
    expands: bool  # an unquoted delimiter: `$(…)` in the body runs


@dataclass(frozen=True)
class ShellSource:
    skeleton: str  # the command without here-document bodies
    bodies: dict[int, HereDoc] = field(default_factory=dict)  # terminator line offset -> body

    @property
    def words(self) -> int:
        return count_words(self.skeleton)

    @property
    def parseable_size(self) -> bool:
        return len(self.skeleton) <= MAX_CHARS and self.words <= MAX_WORDS


def count_words(text: str) -> int:
    return sum(1 for _ in _WORD.finditer(text))


def _unquoted(word: str) -> str:
    return re.sub(r"""\\(.)|['"]""", lambda found: found.group(1) or "", word)


@dataclass
class _LineState:
    quote: str = ""  # "'", '"' or "$'" while inside one
    arithmetic: int = 0


def _scan_line(line: str, state: _LineState) -> tuple[str, list[tuple[str, bool, bool]]]:
    """The line with here-document delimiters unquoted, and the here-documents it opens as
    (delimiter, strip leading tabs, body expands)."""
    opened: list[tuple[str, bool, bool]] = []
    out: list[str] = []
    copied = 0  # line[:copied] is in `out`
    position = 0
    while position < len(line):
        if state.quote == "'":
            end = line.find("'", position)
            if end < 0:
                break
            state.quote, position = "", end + 1
            continue
        if state.quote:
            inside = _IN_DOUBLE if state.quote == '"' else _IN_ANSI
            found = inside.search(line, position)
            if found is None:
                break
            position = found.end()
            if not found.group().startswith("\\"):
                state.quote = ""
            continue
        found = _SPECIAL.search(line, position)
        if found is None:
            break
        token = found.group()
        position = found.end()
        if token in ("'", '"', "$'"):
            state.quote = token
        elif token == "#":
            before = line[found.start() - 1] if found.start() else " "
            if before.isspace() or before in ";&|(":
                break  # a comment: the rest of the line is not read by the shell
        elif token in ("$((", "(("):
            state.arithmetic += 1
        elif token == "))":
            state.arithmetic = max(0, state.arithmetic - 1)
        elif token in ("<<", "<<-") and not state.arithmetic:
            word = _DELIMITER.match(line, position)
            if word is None:
                continue
            written = word.group(1)
            delimiter = _unquoted(written)
            out.append(line[copied:position] + " " + delimiter)
            copied = position = word.end()
            opened.append((delimiter, token == "<<-", delimiter == written))
    out.append(line[copied:])
    return "".join(out), opened


def prepare(command: str) -> ShellSource:
    """The skeleton and the bodies of `command` (one pass over its lines)."""
    lines = command.split("\n")
    skeleton: list[str] = []
    bodies: dict[int, HereDoc] = {}
    offset = 0
    state = _LineState()
    index = 0

    def emit(text: str) -> None:
        nonlocal offset
        skeleton.append(text)
        offset += len(text) + 1

    while index < len(lines):
        text, opened = _scan_line(lines[index], state)
        emit(text)
        index += 1
        if state.quote:
            continue  # the newline is inside quotes: bodies start after the command's line
        for delimiter, strip_tabs, expands in opened:
            body: list[str] = []
            while index < len(lines):
                candidate = lines[index].lstrip("\t") if strip_tabs else lines[index]
                if candidate == delimiter:
                    break
                body.append(candidate)
                index += 1
            bodies[offset] = HereDoc("\n".join(body) + ("\n" if body else ""), expands)
            if index < len(lines):
                emit(lines[index])
                index += 1
            else:
                emit(delimiter)  # bash ends the body at the end of the text, with a warning
    return ShellSource(skeleton="\n".join(skeleton), bodies=bodies)
