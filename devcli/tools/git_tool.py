"""`git`: structured, bounded and safe repository operations for the model.

Inspection (status, diff, log, show, blame, listing branches) is always allowed. Creating a
branch only adds one at HEAD. Committing needs the user's permission. Nothing here deletes,
resets, rewrites history or pushes: those stay with execute_bash and its safety gates.
"""

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from git import Repo
from git.exc import GitError
from pydantic import Field, WithJsonSchema, field_validator

from devcli.tools.base import Tool, ToolArgs, ToolResult
from devcli.tools.git_ops.baseline import WorkTreeSnapshot, take_snapshot
from devcli.tools.git_ops.blame import blame_report
from devcli.tools.git_ops.branch import create_branch, list_branches
from devcli.tools.git_ops.commit import CommitApproval, CommitRequest, make_commit, plan_commit
from devcli.tools.git_ops.diff import diff_report
from devcli.tools.git_ops.file_lines import LineRange
from devcli.tools.git_ops.history import log_report, show_commit, show_file
from devcli.tools.git_ops.repository import open_repository, repo_path, repo_paths
from devcli.tools.git_ops.runner import GitFailure
from devcli.tools.git_ops.status import status_report


class GitOperation(StrEnum):
    STATUS = "status"
    DIFF = "diff"
    LOG = "log"
    SHOW = "show"
    BLAME = "blame"
    BRANCH = "branch"
    COMMIT = "commit"


# Which optional parameters each operation reads; anything else set is reported, so the
# model does not believe a filter was applied when it was not.
_PARAMETERS: dict[GitOperation, frozenset[str]] = {
    GitOperation.STATUS: frozenset({"paths"}),
    GitOperation.DIFF: frozenset({"paths", "revision", "staged", "stat_only"}),
    GitOperation.LOG: frozenset({"paths", "revision", "limit"}),
    GitOperation.SHOW: frozenset(
        {"paths", "revision", "path", "start_line", "end_line", "stat_only"}
    ),
    GitOperation.BLAME: frozenset({"path", "revision", "start_line", "end_line"}),
    GitOperation.BRANCH: frozenset({"name"}),
    GitOperation.COMMIT: frozenset({"paths", "message"}),
}

_OPERATION_SCHEMA = WithJsonSchema({"type": "string", "enum": [op.value for op in GitOperation]})


class GitArgs(ToolArgs):
    operation: Annotated[GitOperation, _OPERATION_SCHEMA] = Field(
        description="What to do: status, diff, log, show, blame, branch or commit."
    )
    paths: list[str] | None = Field(
        default=None,
        description="status, diff, log, show: limit the answer to these files or folders. "
        "commit: the files to commit (default: every file this session changed).",
    )
    revision: str | None = Field(
        default=None,
        description="diff: compare the work tree with this commit, or two commits as A..B. "
        "log: the branch or range A..B to list. show: the commit (default HEAD). blame: "
        "the commit to blame at (default: the work tree).",
    )
    staged: bool = Field(
        default=False, description="diff: show only what is staged (the index against HEAD)."
    )
    stat_only: bool = Field(
        default=False, description="diff, show: only the per-file summary of changed lines."
    )
    limit: int | None = Field(
        default=None, ge=1, description="log: how many commits to list, newest first (20)."
    )
    path: str | None = Field(
        default=None,
        description="show: print this file as it is at `revision`. blame: the file to blame.",
    )
    start_line: int | None = Field(
        default=None, ge=1, description="show of a file, blame: the first line to include."
    )
    end_line: int | None = Field(
        default=None, ge=-1, description="show of a file, blame: the last line (-1: the end)."
    )
    name: str | None = Field(
        default=None,
        description="branch: create a branch with this name at HEAD and switch to it; leave "
        "out to list the branches.",
    )
    message: str | None = Field(
        default=None,
        description="commit: the commit message, a summary line of at most 72 characters, "
        "then a blank line and the reasons.",
    )

    @field_validator("paths", mode="before")
    @classmethod
    def _one_path_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def misplaced(self) -> list[str]:
        """Parameters given a value that this operation does not read."""
        allowed = _PARAMETERS[self.operation]
        return [
            field
            for field in sorted(self.model_fields_set - {"operation"} - allowed)
            if getattr(self, field) not in (None, False, [])
        ]


CommitPermission = bool | CommitApproval


class GitTool(Tool[GitArgs]):
    name = "git"
    args_model = GitArgs

    def __init__(self, cwd: Path, allow_commit: CommitPermission = False) -> None:
        """`allow_commit`: True when the user asked for commits, or a callable that asks the
        user about each commit and answers whether it may go ahead."""
        self.workspace = cwd
        self.allow_commit = allow_commit
        self.baseline = _snapshot_at_start(cwd)

    def execute(self, args: GitArgs) -> ToolResult:
        misplaced = args.misplaced()
        if misplaced:
            names = ", ".join(f"`{field}`" for field in misplaced)
            uses = ", ".join(f"`{field}`" for field in sorted(_PARAMETERS[args.operation]))
            return ToolResult(
                content=f"`{args.operation}` does not use {names}; it reads only {uses}. Send "
                "the call again without them.",
                is_error=True,
            )
        if args.operation is GitOperation.COMMIT and self.allow_commit is False:
            return ToolResult(content=_COMMIT_NOT_ALLOWED, is_error=True)
        try:
            repo = open_repository(self.workspace)
            try:
                return ToolResult(content=self._dispatch(repo, args))
            finally:
                repo.close()
        except GitFailure as exc:
            return ToolResult(content=str(exc), is_error=True)
        except (GitError, OSError, ValueError) as exc:
            return ToolResult(
                content=f"The git `{args.operation}` operation failed: {exc}", is_error=True
            )

    def _dispatch(self, repo: Repo, args: GitArgs) -> str:
        paths = repo_paths(repo, self.workspace, args.paths)
        lines = LineRange(start=args.start_line, end=args.end_line)
        match args.operation:
            case GitOperation.STATUS:
                return status_report(repo, paths)
            case GitOperation.DIFF:
                return diff_report(repo, paths, args.revision, args.staged, args.stat_only)
            case GitOperation.LOG:
                return log_report(repo, paths, args.revision, args.limit)
            case GitOperation.SHOW:
                if args.path is not None:
                    if paths or args.stat_only:
                        raise GitFailure(
                            "`show` with `path` prints one file; `paths` and `stat_only` "
                            "apply to showing a commit. Leave them out."
                        )
                    file = repo_path(repo, self.workspace, args.path)
                    return show_file(repo, args.revision, file, lines)
                if lines.given:
                    raise GitFailure("start_line and end_line need `path`, the file to print.")
                return show_commit(repo, args.revision, paths, args.stat_only)
            case GitOperation.BLAME:
                if args.path is None:
                    raise GitFailure("`blame` needs `path`, the file to blame.")
                file = repo_path(repo, self.workspace, args.path)
                return blame_report(repo, file, args.revision, lines)
            case GitOperation.BRANCH:
                if args.name is None:
                    return list_branches(repo)
                return create_branch(repo, args.name)
            case GitOperation.COMMIT:
                return self._commit(repo, args)

    def _commit(self, repo: Repo, args: GitArgs) -> str:
        request = plan_commit(repo, self.workspace, args.message, args.paths, self.baseline)
        if callable(self.allow_commit) and not self.allow_commit(request):
            raise GitFailure(_declined(request))
        result = make_commit(repo, request)
        if self.baseline is not None:
            # Committed files are clean now: later changes to them are the session's own.
            for path in result.committed:
                self.baseline.fingerprints.pop(path, None)
        return result.report


_COMMIT_NOT_ALLOWED = (
    "Committing is not enabled in this session: the user did not ask for commits. Nothing was "
    "staged or committed. Leave the changes in the work tree, and say in your final summary "
    "that they are not committed. (The user allows commits with `devcli run --commit`, "
    "`commit = true` in the configuration, or by approving one in the interactive session.) "
    "Do not commit through execute_bash instead."
)


def _declined(request: CommitRequest) -> str:
    return (
        f"The user declined the commit of {len(request.paths)} file(s). Nothing was staged or "
        "committed. Do not try again unless the user asks; leave the changes uncommitted and "
        "say so in your summary."
    )


def _snapshot_at_start(workspace: Path) -> WorkTreeSnapshot | None:
    """The work tree's changes before the session touches anything; None if unreadable."""
    try:
        repo = open_repository(workspace)
    except GitFailure:
        return take_snapshot(None)  # no repository yet: every later change is the session's
    except (GitError, OSError, ValueError):
        return None
    try:
        return take_snapshot(repo)
    except (GitFailure, GitError, OSError, ValueError):
        return None
    finally:
        repo.close()
