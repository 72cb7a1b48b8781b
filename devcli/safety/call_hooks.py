"""The safety hooks of the agent loop: hard gates and confinement."""

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from devcli.events import ToolCall
from devcli.safety.confinement import credential_files_in_command, editor_concerns
from devcli.safety.gate_context import gate_context
from devcli.safety.gates import judge_command
from devcli.tools.base import Approver, CallHook, Refusal, Tool, ToolArgs
from devcli.tools.bash import BashArgs, BashTool, is_plain_input
from devcli.tools.editor import EditorArgs
from devcli.tools.shell_session import ShellError


def _shell_facts(tool: Tool[Any], root: Path) -> tuple[str, int | None]:
    """The directory the shell is in and its process id (the root and None before it runs)."""
    if not isinstance(tool, BashTool):
        return str(root), None
    try:
        shell = tool.shell
    except ShellError:
        return str(root), None
    return os.path.realpath(shell.cwd), shell.pid


class GateHook(CallHook):
    """Refuses destructive shell commands; in `ask` mode the user may allow one once, except
    those that reach the whole system. `sandboxed` says the shell runs in a sandbox that
    confines writes, which makes commands the gates cannot read safe to run."""

    def __init__(
        self,
        root: Path,
        approver: Approver | None = None,
        ask: bool = False,
        sandboxed: bool = False,
    ) -> None:
        self.root = root
        self.approver = approver
        self.ask = ask
        self.sandboxed = sandboxed
        self.started = time.time()  # files changed since were written by this session
        self.functions: dict[str, str] = {}  # defined in the shell by earlier commands

    def before(self, call: ToolCall, tool: Tool[Any], args: ToolArgs) -> Refusal | None:
        if not isinstance(args, BashArgs) or is_plain_input(args):
            return None
        cwd, shell_pid = _shell_facts(tool, self.root)
        context = gate_context(
            self.root,
            cwd,
            shell_pid,
            functions=self.functions,
            session_started=self.started,
            sandboxed=self.sandboxed,
        )
        sandbox = tool.sandbox if isinstance(tool, BashTool) else None
        if sandbox is not None and sandbox.isolates_processes:
            # In the sandbox's own process namespace, every process id a command can name
            # (numbered inside it) is one the session started.
            context = replace(context, owns_process=lambda _pid: True)
        verdict = judge_command(args.command, context)
        violations = verdict.violations
        if not violations:
            self._remember(verdict.defined)
            return None
        reasons = "\n".join(v.message() for v in violations)
        if any(v.always for v in violations):
            return Refusal(reason=reasons + "\nThis is not run in any mode.")
        if self.ask and self.approver is not None:
            question = f"Allow this command once? It breaks a hard gate:\n  {args.command}"
            if self.approver.confirm(question, reasons):
                self._remember(verdict.defined)
                return None
            return Refusal(reason=reasons + "\nThe user did not allow it.")
        return Refusal(
            reason=reasons + "\nIf it is truly needed, finish and ask the user to run it."
        )

    def _remember(self, defined: dict[str, str]) -> None:
        """Functions stay defined in the shell: later commands that call them are read with
        their bodies."""
        self.functions.update(defined)
        while len(self.functions) > 64:
            del self.functions[next(iter(self.functions))]


class ConfinementHook(CallHook):
    """Asks before the editor leaves the repository, enters `.git`, or touches credentials;
    with nobody to ask, refuses. Shell commands naming credential files are treated alike."""

    def __init__(self, root: Path, approver: Approver | None = None) -> None:
        self.root = root
        self.approver = approver
        self.allowed: set[str] = set()

    def before(self, call: ToolCall, tool: Tool[Any], args: ToolArgs) -> Refusal | None:
        pending = self._pending(tool, args)
        if not pending:
            return None
        detail = "; ".join(pending.values())
        if self.approver is not None and self.approver.confirm("Allow this?", detail):
            self.allowed.update(pending)
            return None
        return Refusal(
            reason=f"Not run: {detail}. Work inside the repository without these files, or "
            "finish and ask the user to do this part."
        )

    def _pending(self, tool: Tool[Any], args: ToolArgs) -> dict[str, str]:
        """Concerns not yet allowed, by a key naming the kind and the resolved path."""
        concerns: dict[str, str] = {}
        if isinstance(args, EditorArgs) and os.path.isabs(args.path):
            writing = args.command != "view"
            for concern in editor_concerns(args.path, self.root, writing):
                concerns[f"{concern.kind}:{concern.path}"] = concern.message
        elif isinstance(args, BashArgs) and not is_plain_input(args):
            cwd, _ = _shell_facts(tool, self.root)
            home = os.path.realpath(os.path.expanduser("~"))
            for name in credential_files_in_command(args.command, cwd, home):
                key = f"credential-file:{os.path.realpath(os.path.join(cwd, name))}"
                concerns[key] = f"the command names {name}, which may hold credentials"
        return {key: text for key, text in concerns.items() if key not in self.allowed}
