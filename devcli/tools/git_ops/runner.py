"""Runs git commands through gitpython with a quiet, non-interactive environment."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from git import Git, Repo

# No prompts, editors or pagers (nobody is at git's keyboard), and no optional index
# writes, so that inspecting never competes with the user's own git for the index lock.
_QUIET_ENVIRONMENT = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_EDITOR": ":",
    "GIT_SEQUENCE_EDITOR": ":",
    "GIT_PAGER": "cat",
    "GIT_OPTIONAL_LOCKS": "0",
}
DEFAULT_TIMEOUT = 60.0


class GitFailure(Exception):
    """An operation that cannot be done; the message is written for the model to act on."""


@dataclass(frozen=True)
class GitOutput:
    status: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.status == 0


def run_git(
    repo: Repo,
    args: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> GitOutput:
    """Run `git ARGS` in the repository; a failing status is returned, not raised."""
    executable = Git.GIT_PYTHON_GIT_EXECUTABLE or "git"
    status, stdout, stderr = repo.git.execute(
        [executable, *args],
        with_extended_output=True,
        with_exceptions=False,
        stdout_as_string=False,
        strip_newline_in_stdout=False,
        kill_after_timeout=timeout,
        env={**_QUIET_ENVIRONMENT, **(env or {})},
    )
    # Diffs and files may hold any bytes; the model reads text, so undecodable bytes show as �.
    text = stdout.decode("utf-8", errors="replace") if isinstance(stdout, bytes) else stdout
    return GitOutput(status=status if status is not None else -1, stdout=text, stderr=stderr)


def git_output(
    repo: Repo,
    args: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> str:
    """The standard output of `git ARGS`; a failure becomes GitFailure with git's message."""
    result = run_git(repo, args, timeout=timeout, env=env)
    if not result.ok:
        raise GitFailure(explain_failure(args[0], result))
    return result.stdout


def explain_failure(command: str, result: GitOutput) -> str:
    message = (result.stderr.strip() or result.stdout.strip() or "no message").strip()
    if "index.lock" in message:
        return (
            "The repository's index is locked: another git process is running, or one crashed "
            f"and left its lock file behind. git said: {message}\nWait and try again; if no git "
            "command is running, ask the user before removing the lock file."
        )
    if message.startswith("Timeout:"):
        return f"`git {command}` took too long and was stopped. {message}"
    return f"`git {command}` failed (exit status {result.status}): {message}"
