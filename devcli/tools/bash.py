"""`execute_bash`: commands in one persistent shell, with soft and hard timeouts."""

from pathlib import Path
from typing import Literal

import bashlex
from pydantic import Field

from devcli.tools.base import Tool, ToolArgs, ToolResult
from devcli.tools.shell_session import CONTROL_KEYS, CommandOutcome, ShellError, ShellSession, Stop
from devcli.truncation import cut_middle

MAX_OUTPUT_CHARS = 30_000
DEFAULT_SOFT_TIMEOUT = 10.0
DEFAULT_HARD_TIMEOUT = 120.0


class BashArgs(ToolArgs):
    command: str = Field(
        description=(
            "The bash command to run. With is_input=true: text to type into the running "
            'command, "" to wait for more of its output, or C-c, C-d, C-z to send that key.'
        )
    )
    is_input: Literal["true", "false"] = Field(
        default="false",
        description="`true` sends `command` to the command that is already running.",
    )
    timeout: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Seconds after which the command is killed. Without it, the call returns when the "
            "command has printed nothing for a while, and it is killed after 120 s."
        ),
    )


def count_top_level_commands(command: str) -> int:
    """How many commands separated by newlines; 1 when bashlex cannot tell (heredocs)."""
    try:
        return len(bashlex.parse(command))
    except Exception:  # bashlex raises several unrelated types on shapes it does not know
        return 1


class BashTool(Tool[BashArgs]):
    name = "execute_bash"
    args_model = BashArgs

    def __init__(
        self,
        cwd: Path,
        soft_timeout: float = DEFAULT_SOFT_TIMEOUT,
        hard_timeout: float = DEFAULT_HARD_TIMEOUT,
    ) -> None:
        self.root = cwd
        self.soft_timeout = soft_timeout
        self.hard_timeout = hard_timeout
        self._shell: ShellSession | None = None

    @property
    def shell(self) -> ShellSession:
        if self._shell is None or not self._shell.alive:
            self._shell = ShellSession(self.root)
        return self._shell

    def execute(self, args: BashArgs) -> ToolResult:
        try:
            return self._execute(args)
        except ShellError as exc:
            return ToolResult(content=f"Could not start bash: {exc}", is_error=True)

    def _execute(self, args: BashArgs) -> ToolResult:
        soft = None if args.timeout is not None else self.soft_timeout
        hard = args.timeout if args.timeout is not None else self.hard_timeout
        shell = self.shell
        if args.is_input == "true":
            if not shell.running:
                return ToolResult(
                    content="No command is running, so there is nothing to send input to. "
                    "Run a new command with is_input=false.",
                    is_error=True,
                )
            return self._result(shell.send(args.command, soft, hard), hard)
        if shell.running:
            return ToolResult(
                content="The previous command is still running. Send is_input=true with "
                '"" to see more of its output, text to type into it, or C-c to interrupt it, '
                "before starting a new command.",
                is_error=True,
            )
        command = args.command.strip()
        if not command:
            return ToolResult(content="The command is empty.", is_error=True)
        if command in CONTROL_KEYS:
            return ToolResult(
                content=f"{command} is a key for a running command: send it with is_input=true.",
                is_error=True,
            )
        count = count_top_level_commands(command)
        if count > 1:
            return ToolResult(
                content=f"This call holds {count} separate commands on separate lines. Run them "
                "one call at a time, or join them with `&&` or `;` into one command.",
                is_error=True,
            )
        return self._result(shell.run(command, soft, hard), hard)

    def _result(self, outcome: CommandOutcome, hard: float) -> ToolResult:
        output = cut_middle(
            outcome.output.rstrip("\n"), MAX_OUTPUT_CHARS, already_omitted=outcome.omitted_chars
        )
        match outcome.stop:
            case Stop.FINISHED:
                note = (
                    f"[The command finished with exit code {outcome.exit_code}. "
                    f"Working directory: {outcome.cwd}]"
                )
                return self._with(output, note, outcome.exit_code)
            case Stop.SOFT_TIMEOUT:
                note = (
                    f"[The command has printed nothing for {self.soft_timeout:g} s and is still "
                    'running. Call again with is_input=true and command "" to wait for more '
                    "output, with text to type into it, or with C-c to interrupt it. Give a "
                    "`timeout` to wait longer for slow commands.]"
                )
                return self._with(output, note, -1)
            case Stop.HARD_TIMEOUT:
                note = (
                    f"[The command was killed after {hard:g} s (its timeout), with every process "
                    f"it started. Working directory: {outcome.cwd}]"
                )
                return self._with(output, note, outcome.exit_code, is_error=True)
            case _:
                self._restart()
                note = (
                    "[The shell exited"
                    + (f" with code {outcome.exit_code}" if outcome.exit_code is not None else "")
                    + f". A new shell was started in {self.root}; the working directory, "
                    "variables and activated environments of the old one are gone.]"
                )
                return self._with(output, note, outcome.exit_code, is_error=True)

    @staticmethod
    def _with(output: str, note: str, exit_code: int | None, is_error: bool = False) -> ToolResult:
        content = f"{output}\n{note}" if output else note
        return ToolResult(content=content, exit_code=exit_code, is_error=is_error)

    @property
    def busy(self) -> bool:
        """A command is running in the shell (asking never starts a shell)."""
        shell = self._shell
        return shell is not None and shell.alive and shell.running

    def interrupt(self) -> None:
        """Press Ctrl-C for the running command, if any; safe from another thread (a front
        end's cancel), while the call that started the command waits for it to end."""
        shell = self._shell
        if shell is not None and shell.alive and shell.running:
            shell.interrupt()

    def _restart(self) -> None:
        if self._shell is not None:
            self._shell.close()
        self._shell = None
        try:
            _ = self.shell
        except ShellError:
            self._shell = None  # the next call reports it

    def close(self) -> None:
        if self._shell is not None:
            self._shell.close()
            self._shell = None
