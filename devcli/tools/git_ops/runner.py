"""Git commands for the git tool: devcli's one git runner, in the repository, with output as
text for the model and failures explained for it."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from git import Repo

from devcli.git_command import DEFAULT_TIMEOUT, GitMissing, git_command


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
    try:
        result = git_command(args, cwd=str(repo.working_dir), env=env, timeout=timeout)
    except GitMissing as exc:
        raise GitFailure(str(exc)) from exc
    # Diffs and files may hold any bytes; the model reads text, so undecodable bytes show as �.
    return GitOutput(status=result.status, stdout=result.text, stderr=result.stderr)


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
