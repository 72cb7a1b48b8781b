"""A rough reading of commands bashlex cannot parse (`case`, `$((…))`, unbalanced quotes).

It splits on the shell's operators, follows `cd`, expands simple variables and looks inside
`$(…)` and backquotes, so the hard gates still see what such a command would run.
"""

import os
import posixpath
import re
import shlex

from devcli.shell_syntax.simple_commands import UNKNOWN, Redirect, ShellEnvironment, SimpleCommand

_SEPARATORS = frozenset({";", "&", "&&", "|", "||", "|&", ";;", ";&", ";;&", "(", ")", "\n"})
_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "<", "<<", "<<<", "<>", ">&", "<&"})
_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)|`([^`]*)`|<\(([^()]*)\)")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


_OPERATORS = sorted(_SEPARATORS | _REDIRECTS, key=len, reverse=True)


def _split_operators(token: str) -> list[str]:
    """shlex glues neighbouring operator characters (`));`): split them again."""
    if token in _SEPARATORS or token in _REDIRECTS or not set(token) <= set(";&|()<>"):
        return [token]
    parts: list[str] = []
    while token:
        operator = next(op for op in [*_OPERATORS, token[0]] if token.startswith(op))
        parts.append(operator)
        token = token[len(operator) :]
    return parts


def _tokens(command: str) -> list[str]:
    lexer = shlex.shlex(command.replace("\n", " ; "), posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    try:
        raw = list(lexer)
    except ValueError:  # unbalanced quotes: split on blanks and operators only
        raw = [t for t in re.split(r"\s+|([;&|()<>]+)", command) if t]
    return [part for token in raw for part in _split_operators(token)]


def rough_commands(
    command: str, cwd: str, env: ShellEnvironment, depth: int = 0
) -> list[SimpleCommand]:
    found: list[SimpleCommand] = []
    variables: dict[str, str] = {}
    words: list[str] = []
    redirects: list[Redirect] = []
    piped: list[str] = []
    pending_redirect: str | None = None

    def expand(word: str) -> str:
        for match in _SUBSTITUTION.finditer(word):
            inner = next(group for group in match.groups() if group is not None)
            if depth < 4:
                found.extend(rough_commands(inner, cwd, env, depth + 1))
        word = _SUBSTITUTION.sub(UNKNOWN, word)
        if word == "~" or word.startswith("~/"):
            word = env.home + word[1:]
        elif word.startswith("~"):
            word = os.path.expanduser(word)

        def value(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(3)
            known = variables.get(name, env.environ.get(name))
            if known is None or (known == "" and match.group(2) is not None):
                return match.group(2) if match.group(2) is not None else UNKNOWN
            return known

        return _VARIABLE.sub(value, word)

    def flush(separator: str) -> None:
        nonlocal cwd, words, redirects
        if words:
            argv = tuple(words)
            text = " ".join(w.replace(UNKNOWN, "…") for w in argv)
            if all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", w, re.DOTALL) for w in argv):
                for word in argv:
                    name, _, assigned = word.partition("=")
                    variables[name] = assigned
            else:
                found.append(
                    SimpleCommand(
                        argv=argv,
                        cwd=cwd,
                        text=text,
                        redirects=tuple(redirects),
                        piped_from=tuple(piped),
                    )
                )
                program = posixpath.basename(argv[0])
                if program in ("cd", "pushd"):
                    operands = [a for a in argv[1:] if not a.startswith("-")]
                    target = operands[0] if operands else env.home
                    unknown = UNKNOWN in target or UNKNOWN in cwd
                    cwd = UNKNOWN if unknown else posixpath.normpath(posixpath.join(cwd, target))
                if separator in ("|", "|&") and program not in piped:
                    piped.append(program)
                    del piped[:-16]  # the programs a stage is fed by, a bounded few
        if separator not in ("|", "|&"):
            piped.clear()
        words, redirects = [], []

    for token in _tokens(command):
        if pending_redirect is not None:
            redirects.append(Redirect(pending_redirect, expand(token)))
            pending_redirect = None
        elif token in _SEPARATORS:
            flush(token)
        elif token in _REDIRECTS:
            pending_redirect = token
        else:
            words.append(expand(token))
    flush(";")
    return found
