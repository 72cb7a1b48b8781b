"""What code handed to an interpreter (`python3 -c`, `perl -e`, a here-document fed to
`node`, a script file) may do to files and processes.

No interpreter is parsed: the code is searched for the calls that delete files or run other
programs. A call whose target is a plain string literal becomes the command it amounts to
(`shutil.rmtree('build')` is `rm -r build`, `os.system('make')` is the script `make`), so the
ordinary gates judge it; any other such call makes the code opaque, since its target is only
known when it runs. Code that builds code at run time (`eval`, `exec`, `__import__`) is
opaque too. Everything else (printing, computing, reading) passes.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum

from devcli.shell_syntax.simple_commands import SimpleCommand, opaque_command

MAX_CODE_CHARS = 1_000_000  # longer code is not searched: it is opaque


class Effect(Enum):
    DELETE = "delete"  # removes one file
    DELETE_TREE = "delete-tree"  # removes a folder and what it holds
    SHELL = "shell"  # runs a shell script
    ARGV = "argv"  # runs a program with these arguments
    DYNAMIC = "dynamic"  # runs code or commands built at run time


@dataclass(frozen=True)
class _Call:
    pattern: re.Pattern[str]  # matches up to where the target argument starts
    effect: Effect
    name: str


def _calls(effect: Effect, *names: str, bare: bool = False) -> list[_Call]:
    """Calls of functions by name; `bare` ones may also be written without parentheses
    (Perl, Ruby: `unlink "x"`), followed by their argument."""
    after = r"(?:\s*\(\s*|\s+(?=[\'\"$@\w]))" if bare else r"\s*\(\s*"
    return [
        _Call(re.compile(rf"(?<![\w.$]){re.escape(name)}{after}"), effect, name) for name in names
    ]


def _methods(effect: Effect, *names: str) -> list[_Call]:
    """Calls written as `obj.name(...)`, whatever the object."""
    return [_Call(re.compile(rf"\.{re.escape(name)}\s*\(\s*"), effect, name) for name in names]


_PYTHON = [
    *_calls(Effect.DELETE_TREE, "shutil.rmtree", "rmtree", "os.removedirs", "removedirs"),
    *_calls(Effect.DELETE, "os.remove", "os.unlink", "os.rmdir", "unlink", "remove"),
    *_methods(Effect.DELETE, "unlink", "rmdir"),
    *_calls(Effect.SHELL, "os.system", "os.popen", "system", "popen", "getoutput"),
    *_calls(
        Effect.ARGV,
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "check_call",
        "check_output",
        "Popen",
    ),
    *_calls(
        Effect.DYNAMIC,
        "os.execv",
        "os.execvp",
        "os.execve",
        "os.execl",
        "os.execlp",
        "os.spawnv",
        "os.spawnl",
        "os.spawnlp",
        "os.spawnvp",
        "os.posix_spawn",
        "pty.spawn",
        "os.kill",
        "os.killpg",
        "exec",
        "eval",
        "compile",
        "__import__",
        "importlib.import_module",
        "send2trash",
    ),
]
_PERL = [
    *_calls(Effect.DELETE_TREE, "rmtree", "remove_tree", "File::Path::rmtree", bare=True),
    *_calls(Effect.DELETE, "unlink", "rmdir", bare=True),
    *_calls(Effect.SHELL, "system", "exec", bare=True),
    *_calls(Effect.DYNAMIC, "eval", "kill", "qx", bare=True),
]
_RUBY = [
    *_calls(
        Effect.DELETE_TREE,
        "FileUtils.rm_rf",
        "FileUtils.rm_r",
        "FileUtils.remove_dir",
        "FileUtils.remove_entry",
        "FileUtils.remove_entry_secure",
        "rm_rf",
        "rm_r",
        bare=True,
    ),
    *_calls(
        Effect.DELETE,
        "File.delete",
        "File.unlink",
        "Dir.rmdir",
        "Dir.delete",
        "FileUtils.rm",
        bare=True,
    ),
    *_calls(Effect.SHELL, "system", "exec", "spawn", "IO.popen", "Open3.capture2", bare=True),
    *_calls(Effect.DYNAMIC, "eval", "instance_eval", "Process.kill", "%x", bare=True),
]
_NODE = [
    *_calls(Effect.DELETE_TREE, "rmSync", "rm"),
    *_methods(Effect.DELETE_TREE, "rmSync", "rm"),
    *_calls(Effect.DELETE, "unlinkSync", "unlink", "rmdirSync", "rmdir"),
    *_methods(Effect.DELETE, "unlinkSync", "unlink", "rmdirSync", "rmdir"),
    *_calls(Effect.SHELL, "execSync", "exec"),
    *_methods(Effect.SHELL, "execSync", "exec"),
    *_calls(Effect.ARGV, "spawnSync", "spawn", "execFileSync", "execFile"),
    *_methods(Effect.ARGV, "spawnSync", "spawn", "execFileSync", "execFile"),
    *_calls(Effect.DYNAMIC, "eval", "Function"),
    *_methods(Effect.DYNAMIC, "kill"),
]
_PHP = [
    *_calls(Effect.DELETE, "unlink", "rmdir"),
    *_calls(Effect.SHELL, "system", "exec", "shell_exec", "passthru", "popen", "proc_open"),
    *_calls(Effect.DYNAMIC, "eval", "posix_kill", "create_function"),
]
# Backquotes run a shell in Perl, Ruby and PHP.
_BACKQUOTE = re.compile(r"`([^`$]*)`")

LANGUAGES: dict[str, list[_Call]] = {
    "python": _PYTHON,
    "perl": _PERL,
    "ruby": _RUBY,
    "node": _NODE,
    "php": _PHP,
}


def language_of(program: str) -> str | None:
    """The language an interpreter's name says it runs, or None."""
    if re.fullmatch(r"(?:python|pypy)[0-9.]*", program):
        return "python"
    if program in ("perl", "ruby", "php", "node", "nodejs", "bun", "deno"):
        return "node" if program in ("nodejs", "bun", "deno") else program
    return None


# A plain string literal: no interpolation, few escapes.
_LITERAL = re.compile(r"""[rRbB]?(?:'([^'\\\n]*)'|"([^"\\\n$#{}]*)")""")
# One way only to read the blanks and commas between items, so a list that never closes
# is given up in linear time.
_LIST_OF_LITERALS = re.compile(r"""\[\s*((?:(?:'[^'\\\n]*'|"[^"\\\n$]*")\s*(?:,\s*)?)+)\]""")


def _literal(code: str, start: int) -> str | None:
    found = _LITERAL.match(code, start)
    if found is None:
        return None
    rest = code[found.end() :].lstrip(" \t")[:1]
    if rest and rest not in "),;\n":
        return None  # the literal is only the start of an expression (`'a' + b`)
    return found.group(1) if found.group(1) is not None else found.group(2)


def _argv_literal(code: str, start: int) -> list[str] | None:
    found = _LIST_OF_LITERALS.match(code, start)
    if found is None:
        return None
    return [a or b for a, b in re.findall(r"""'([^']*)'|"([^"]*)\"""", found.group(1))]


# `Path('x').unlink()`: the target is the literal before the method.
_PATH_METHOD = re.compile(
    r"""Path\(\s*[rR]?(?:'([^'\\\n]*)'|"([^"\\\n]*)")\s*\)(\.(?:unlink|rmdir)\s*\(\s*)"""
)


def effects(code: str, language: str) -> list[tuple[Effect, str, str | list[str] | None]]:
    """Each dangerous call in the code: (effect, call name, its literal target or None)."""
    found: list[tuple[Effect, str, str | list[str] | None]] = []
    known_paths: set[int] = set()
    if language == "python":
        for match in _PATH_METHOD.finditer(code):
            known_paths.add(match.end())
            found.append((Effect.DELETE, "Path.unlink", match.group(1) or match.group(2)))
    for call in LANGUAGES[language]:
        for match in call.pattern.finditer(code):
            if match.end() in known_paths:
                continue
            target: str | list[str] | None
            if call.effect is Effect.ARGV:
                target = _argv_literal(code, match.end()) or _literal(code, match.end())
            elif call.effect is Effect.DYNAMIC:
                target = None
            else:
                target = _literal(code, match.end())
            found.append((call.effect, call.name, target))
    if language in ("perl", "ruby", "php"):
        found += [(Effect.SHELL, "`…`", inner) for inner in _BACKQUOTE.findall(code)]
    return found


def code_commands(parent: SimpleCommand, code: str, language: str) -> list[SimpleCommand]:
    """The commands `code` amounts to, for the gates to judge (an opaque one when unknown)."""
    via = f"{parent.program} code"
    if len(code) > MAX_CODE_CHARS:
        return [opaque_command(parent, f"it runs {len(code)} characters of code", via)]
    commands: list[SimpleCommand] = []
    for effect, name, target in effects(code, language):
        if effect is Effect.DYNAMIC:
            reason = f"its code calls `{name}`, whose effect is only known when it runs"
            commands.append(opaque_command(parent, reason, via))
        elif target is None:
            reason = f"its code calls `{name}` on a target only known when it runs"
            commands.append(opaque_command(parent, reason, via))
        elif effect is Effect.SHELL:
            assert isinstance(target, str)
            commands.append(_child(parent, ("sh", "-c", target), via))
        elif effect is Effect.ARGV:
            argv = tuple(target) if isinstance(target, list) else ("sh", "-c", target)
            commands.append(_child(parent, argv, via))
        else:
            flag = "-r" if effect is Effect.DELETE_TREE else "-f"
            commands.append(_child(parent, ("rm", flag, "--", str(target)), via))
    return commands


def _child(parent: SimpleCommand, argv: Sequence[str], via: str) -> SimpleCommand:
    return replace(parent, argv=tuple(argv), redirects=(), via=via, opaque=None)
