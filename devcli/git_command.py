"""The one way devcli runs git: a quiet, non-interactive environment, bytes out, a failing
status returned rather than raised, and a clear error when git is missing."""

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel

# No prompts, editors or pagers (nobody is at git's keyboard), and no optional index writes,
# so that inspecting never competes with the user's own git for the index lock.
QUIET_ENVIRONMENT = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_EDITOR": ":",
    "GIT_SEQUENCE_EDITOR": ":",
    "GIT_PAGER": "cat",
    "GIT_OPTIONAL_LOCKS": "0",
}
DEFAULT_TIMEOUT = 60.0


class GitMissing(OSError):
    """The git program cannot be run."""


class GitResult(BaseModel):
    status: int
    stdout: bytes
    stderr: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 0

    @property
    def text(self) -> str:
        """stdout as text; bytes that are not UTF-8 show as �."""
        return self.stdout.decode("utf-8", errors="replace")


def git_command(
    args: Sequence[str],
    *,
    cwd: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    stdin: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> GitResult:
    """`git ARGS`. Raises GitMissing when git cannot be started; a timeout is a failed
    result whose stderr says so."""
    environment = {**os.environ, **QUIET_ENVIRONMENT, **(env or {})}
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=environment,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise GitMissing("git is not installed") from exc
    except subprocess.TimeoutExpired:
        return GitResult(
            status=-1,
            stdout=b"",
            stderr=f"Timeout: git {args[0] if args else ''} took more than {timeout:.0f} s",
            timed_out=True,
        )
    except OSError as exc:
        raise GitMissing(f"git cannot be run: {exc}") from exc
    return GitResult(
        status=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr.decode("utf-8", errors="replace"),
    )
