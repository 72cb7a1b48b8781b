"""The safety hooks of the agent loop: hard gates, confinement, and checkpoints."""

import os
import time
from pathlib import Path
from typing import Any

from devcli.agent.hooks import Approver, Refusal
from devcli.events import ToolCall
from devcli.safety.checkpoints import CheckpointError, CheckpointStore
from devcli.safety.confinement import credential_files_in_command, editor_concerns
from devcli.safety.gate_context import gate_context
from devcli.safety.gates import judge_command
from devcli.safety.read_only import is_read_only
from devcli.tools.base import Tool, ToolArgs
from devcli.tools.bash import BashArgs, BashTool
from devcli.tools.editor import EditorArgs
from devcli.tools.shell_session import CONTROL_KEYS, ShellError

# Tools that never change the user's files (the git tool only reads, commits or branches).
_FILE_SAFE_TOOLS = frozenset({"think", "finish", "git"})


def _shell_facts(tool: Tool[Any], root: Path) -> tuple[str, int | None]:
    """The directory the shell is in and its process id (the root and None before it runs)."""
    if not isinstance(tool, BashTool):
        return str(root), None
    try:
        shell = tool.shell
    except ShellError:
        return str(root), None
    return os.path.realpath(shell.cwd), shell.pid


def _is_plain_input(args: BashArgs) -> bool:
    """Waiting for output or pressing a control key: nothing new is asked of the shell."""
    return args.is_input == "true" and (not args.command.strip() or args.command in CONTROL_KEYS)


class GateHook:
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
        if not isinstance(args, BashArgs) or _is_plain_input(args):
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


class ConfinementHook:
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
        elif isinstance(args, BashArgs) and not _is_plain_input(args):
            cwd, _ = _shell_facts(tool, self.root)
            home = os.path.realpath(os.path.expanduser("~"))
            for name in credential_files_in_command(args.command, cwd, home):
                key = f"credential-file:{os.path.realpath(os.path.join(cwd, name))}"
                concerns[key] = f"the command names {name}, which may hold credentials"
        return {key: text for key, text in concerns.items() if key not in self.allowed}


class CheckpointHook:
    """Saves the work tree before the first change of each step, so the step can be undone."""

    def __init__(self, workspace: Path, session_id: str) -> None:
        self.workspace = workspace
        self.session_id = session_id
        self._store: CheckpointStore | None = None
        self._offset = 0
        self._step = 1
        self._saved_step: int | None = None

    def begin_step(self, step: int) -> None:
        self._step = step

    def before(self, call: ToolCall, tool: Tool[Any], args: ToolArgs) -> Refusal | None:
        if self._saved_step == self._step or not changes_files(tool, args):
            return None
        try:
            store = self.store()
            store.snapshot(self.session_id, self._offset + self._step)
        except CheckpointError as exc:
            return Refusal(
                reason=f"Not run: devcli could not save a checkpoint before this change ({exc}), "
                "and it never changes files it could not restore."
            )
        self._saved_step = self._step
        return None

    def store(self) -> CheckpointStore:
        if self._store is None:
            self._store = CheckpointStore.for_workspace(self.workspace)
            # A resumed session continues its numbering instead of reusing step numbers.
            earlier = self._store.checkpoints(self.session_id)
            self._offset = max((c.step for c in earlier), default=0)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def changes_files(tool: Tool[Any], args: ToolArgs) -> bool:
    """Whether a call may change files: anything not known to only read does."""
    if tool.name in _FILE_SAFE_TOOLS:
        return False
    if isinstance(args, EditorArgs):
        return args.command != "view"
    if isinstance(args, BashArgs):
        if args.is_input == "true":
            return not _is_plain_input(args)
        return not is_read_only(args.command)
    return True
