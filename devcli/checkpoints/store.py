"""Checkpoints: snapshots of the whole work tree kept in hidden git refs.

A snapshot stages the work tree (tracked files, untracked files that are not ignored,
deletions, executable bits, symlinks) into a temporary index file, writes it as a tree and
a commit, and points `refs/devcli/sessions/<session>/<step>` at it. HEAD, the index, the
branches, the stash and the files are never touched. File contents are stored without git's
filters (line-ending conversion, LFS …), so a restore gives back the exact bytes.

A folder that is not in a git repository gets a private bare repository under devcli's data
folder; no `.git` is ever created in the user's folder.
"""

import os
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from devcli.git_command import GitMissing, git_command
from devcli.paths import data_dir, repository_key

SESSION_REFS = "refs/devcli/sessions"
BACKUP_REFS = "refs/devcli/backups"
UNDONE_REFS = "refs/devcli/undone"
# The work tree as a session left it (after a run, after each REPL message): what the session
# itself changed is told apart from what the user changed afterwards.
END_REFS = "refs/devcli/ends"
ZERO_OID = "0" * 40
_NO_FILTERS = [
    "-c",
    "core.autocrlf=false",
    "-c",
    "core.safecrlf=false",
    "-c",
    "core.filemode=true",
    "-c",
    "core.symlinks=true",
    "-c",
    "commit.gpgSign=false",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "core.hooksPath=/dev/null",
]
_IDENTITY = {
    "GIT_AUTHOR_NAME": "devcli",
    "GIT_AUTHOR_EMAIL": "devcli@localhost",
    "GIT_COMMITTER_NAME": "devcli",
    "GIT_COMMITTER_EMAIL": "devcli@localhost",
}
_CONVERTING_ATTRIBUTES = ("text", "eol", "crlf", "filter", "ident", "working-tree-encoding")
_PRIVATE_EXCLUDES = (
    "# Left out of devcli's checkpoints of this folder\n"
    ".venv/\nvenv/\nnode_modules/\n__pycache__/\n.mypy_cache/\n.pytest_cache/\n.DS_Store\n"
)


class CheckpointError(RuntimeError):
    """Checkpoints cannot be taken or read; the message says why."""


class Checkpoint(BaseModel):
    session: str
    step: int
    commit: str
    tree: str
    created: int  # seconds since the epoch

    @property
    def ref(self) -> str:
        return f"{SESSION_REFS}/{self.session}/{self.step}"


ChangeKind = Literal["added", "modified", "deleted"]


class SessionCheckpoints(BaseModel):
    session: str
    checkpoints: list[Checkpoint]  # by step

    @property
    def newest(self) -> Checkpoint:
        return max(self.checkpoints, key=lambda c: (c.created, c.step))


class FileChange(BaseModel):
    """A difference between two trees, seen from the first: `added` exists only in the second."""

    path: str
    kind: ChangeKind
    mode: str = ""  # the mode in the second tree ("" when deleted)
    blob: str = ""  # the object id in the second tree


def valid_session_id(session: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", session) is not None


def private_git_dir(workspace: Path) -> Path:
    return data_dir() / "checkpoints" / f"{repository_key(workspace)}.git"


class CheckpointStore:
    """The checkpoints of one work tree."""

    def __init__(self, work_tree: Path, git_dir: Path, private: bool) -> None:
        self.work_tree = work_tree
        self.git_dir = git_dir
        self.private = private
        self._environment = {"GIT_DIR": str(git_dir), "GIT_WORK_TREE": str(work_tree), **_IDENTITY}

    @classmethod
    def for_workspace(cls, workspace: Path) -> "CheckpointStore":
        """The store of the git repository around `workspace`, or a private one."""
        workspace = workspace.resolve()
        try:
            found = git_command(
                ["rev-parse", "--show-toplevel", "--absolute-git-dir"], cwd=workspace, timeout=30
            )
        except GitMissing as exc:
            raise CheckpointError("git is not installed") from exc
        lines = found.text.splitlines() if found.ok else []
        if len(lines) == 2 and lines[0]:
            work_tree, git_dir = Path(lines[0]).resolve(), Path(lines[1]).resolve()
            store = cls(work_tree, git_dir, private=False)
            if not store._ignores(workspace):
                return store
        return cls(workspace, private_git_dir(workspace), private=True)

    def close(self) -> None:
        """Nothing is held open between commands; kept for `with` blocks."""

    def __enter__(self) -> "CheckpointStore":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- running git -----------------------------------------------------------------------

    def _execute(
        self, args: Sequence[str], index: Path | None = None, stdin: bytes | None = None
    ) -> tuple[int, bytes, str]:
        env = dict(self._environment)
        if index is not None:
            env["GIT_INDEX_FILE"] = str(index)
        try:
            result = git_command(
                [*_NO_FILTERS, *args], cwd=self.work_tree, env=env, stdin=stdin, timeout=600
            )
        except GitMissing as exc:
            raise CheckpointError("git is not installed") from exc
        return result.status, result.stdout, result.stderr.strip()

    def _run(
        self,
        *args: str,
        index: Path | None = None,
        stdin: bytes | None = None,
        check: bool = True,
    ) -> bytes:
        status, out, error = self._execute(args, index, stdin)
        if check and status != 0:
            raise CheckpointError(f"git {args[0]} failed: {error}")
        return out

    def _ensure_repository(self) -> None:
        if not self.private or (self.git_dir / "HEAD").exists():
            return
        self.git_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            made = git_command(["init", "--quiet", "--bare", str(self.git_dir)], timeout=60)
        except GitMissing as exc:
            raise CheckpointError("git is not installed") from exc
        if not made.ok:
            raise CheckpointError(f"cannot create {self.git_dir}: {made.stderr.strip()}")
        (self.git_dir / "info").mkdir(exist_ok=True)
        (self.git_dir / "info" / "exclude").write_text(_PRIVATE_EXCLUDES, encoding="utf-8")

    def _ignores(self, path: Path) -> bool:
        if path == self.work_tree:
            return False
        relative = str(path.relative_to(self.work_tree))
        status, _, _ = self._execute(["check-ignore", "-q", "--no-index", relative])
        return status == 0

    # -- snapshots -------------------------------------------------------------------------

    def write_tree(self) -> str:
        """The tree of the work tree as it is now (objects are stored; no ref is made)."""
        self._ensure_repository()
        with tempfile.TemporaryDirectory(prefix="devcli-index-") as scratch:
            index = Path(scratch) / "index"
            real_index = self.git_dir / "index"
            if not self.private and real_index.is_file():
                # Starting from the user's index lets git skip files whose stat is unchanged.
                shutil.copyfile(real_index, index)
            status, _, error = self._execute(
                ["add", "--all", "--ignore-errors", "--", "."], index=index
            )
            if status != 0 and "fatal:" in error:
                raise CheckpointError(f"git add failed: {error}")
            self._store_unfiltered(index)
            return self._run("write-tree", index=index).decode().strip()

    def _store_unfiltered(self, index: Path) -> None:
        """Re-store files that gitattributes would convert, as their exact bytes."""
        entries = self._index_entries(index)
        if not self._has_attributes(entries):
            return
        names = b"".join(os.fsencode(p) + b"\0" for p, mode in entries.items() if mode != "160000")
        out = self._run("check-attr", "-z", "--stdin", *_CONVERTING_ATTRIBUTES, stdin=names)
        fields = out.split(b"\0")
        converted: set[str] = set()
        for position in range(0, len(fields) - 2, 3):
            path, _, value = fields[position : position + 3]
            if value not in (b"unspecified", b"unset"):
                converted.add(os.fsdecode(path))
        regular = sorted(
            p
            for p in converted
            if entries.get(p) in ("100644", "100755")
            and (self.work_tree / p).is_file()
            and not (self.work_tree / p).is_symlink()
        )
        if not regular:
            return
        listing = b"".join(os.fsencode(p) + b"\n" for p in regular)
        blobs = self._run("hash-object", "-w", "--no-filters", "--stdin-paths", stdin=listing)
        records = b"".join(
            f"{entries[p]} {blob}\t".encode() + os.fsencode(p) + b"\0"
            for p, blob in zip(regular, blobs.decode().split(), strict=True)
        )
        self._run("update-index", "-z", "--index-info", index=index, stdin=records)

    def _index_entries(self, index: Path) -> dict[str, str]:
        out = self._run("ls-files", "-s", "-z", index=index)
        entries: dict[str, str] = {}
        for record in out.split(b"\0"):
            if record:
                meta, _, path = record.partition(b"\t")
                entries[os.fsdecode(path)] = meta.split(b" ")[0].decode()
        return entries

    def _has_attributes(self, entries: dict[str, str]) -> bool:
        if (self.git_dir / "info" / "attributes").is_file():
            return True
        if any(p == ".gitattributes" or p.endswith("/.gitattributes") for p in entries):
            return True
        configured = self._run("config", "core.attributesFile", check=False).strip()
        home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        return bool(configured) or (home / "git" / "attributes").is_file()

    def _commit(self, tree: str, message: str) -> str:
        parents: list[str] = []
        if not self.private:
            head = self._run("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
            if head.strip():
                parents = ["-p", head.decode().strip()]
        return self._run("commit-tree", tree, *parents, "-m", message).decode().strip()

    def snapshot(self, session: str, step: int) -> Checkpoint:
        """Save the work tree as the checkpoint before `step`; an existing one is kept."""
        if not valid_session_id(session):
            raise CheckpointError(f"invalid session id {session!r}")
        tree = self.write_tree()
        commit = self._commit(tree, f"devcli checkpoint: session {session}, before step {step}")
        ref = f"{SESSION_REFS}/{session}/{step}"
        self._run("update-ref", ref, commit, ZERO_OID, check=False)
        existing = self.find(session, step)
        if existing is None:
            raise CheckpointError(f"could not record the checkpoint {ref}")
        return existing

    def mark_end(self, session: str) -> None:
        """Record the work tree as the session leaves it (replacing an earlier mark)."""
        if not valid_session_id(session):
            raise CheckpointError(f"invalid session id {session!r}")
        tree = self.write_tree()
        commit = self._commit(tree, f"devcli: work tree as session {session} left it")
        self._run("update-ref", f"{END_REFS}/{session}", commit)

    def end_tree(self, session: str) -> str | None:
        out = self._run(
            "for-each-ref", "--format=%(tree)", f"{END_REFS}/{session}", check=False
        ).strip()
        return out.decode() or None

    def save_backup(self, session: str, tree: str) -> str:
        """Keep a tree (the work tree before an undo) under a backup ref; returns the ref."""
        commit = self._commit(tree, f"devcli: work tree before an undo in session {session}")
        ref = f"{BACKUP_REFS}/{session}/{time.time_ns()}"
        self._run("update-ref", ref, commit, ZERO_OID)
        return ref

    def retire(self, checkpoints: Sequence[Checkpoint]) -> None:
        """Move checkpoints an undo went back past out of the session (kept for recovery)."""
        stamp = time.time_ns()
        commands = "".join(
            f"create {UNDONE_REFS}/{c.session}/{c.step}-{stamp} {c.commit}\n"
            f"delete {c.ref} {c.commit}\n"
            for c in checkpoints
        )
        if commands:
            self._run("update-ref", "--stdin", stdin=commands.encode())

    # -- reading ---------------------------------------------------------------------------

    def checkpoints(self, session: str | None = None) -> list[Checkpoint]:
        """Checkpoints, oldest first; of one session, or of all."""
        prefix = f"{SESSION_REFS}/{session}/" if session else f"{SESSION_REFS}/"
        return self._listed(prefix)

    def _listed(self, prefix: str) -> list[Checkpoint]:
        if self.private and not (self.git_dir / "HEAD").exists():
            return []
        out = self._run(
            "for-each-ref",
            "--format=%(refname)%00%(objectname)%00%(tree)%00%(committerdate:unix)",
            prefix,
        )
        found: list[Checkpoint] = []
        for line in out.decode().splitlines():
            name, commit, tree, created = line.split("\0")
            match = re.fullmatch(rf"{SESSION_REFS}/([^/]+)/(\d+)", name)
            if match:
                found.append(
                    Checkpoint(
                        session=match.group(1),
                        step=int(match.group(2)),
                        commit=commit,
                        tree=tree,
                        created=int(created or 0),
                    )
                )
        return sorted(found, key=lambda c: (c.created, c.session, c.step))

    def find(self, session: str, step: int) -> Checkpoint | None:
        # Only this ref is read, so the cost does not grow with the session's length.
        exact = self._listed(f"{SESSION_REFS}/{session}/{step}")
        return next((c for c in exact if c.session == session and c.step == step), None)

    def session_summaries(self) -> list["SessionCheckpoints"]:
        """Each session's checkpoints, the session with the newest checkpoint last."""
        grouped: dict[str, list[Checkpoint]] = {}
        for checkpoint in self.checkpoints():
            grouped.setdefault(checkpoint.session, []).append(checkpoint)
        summaries = [
            SessionCheckpoints(session=name, checkpoints=sorted(found, key=lambda c: c.step))
            for name, found in grouped.items()
        ]
        return sorted(summaries, key=lambda s: (s.newest.created, s.newest.step))

    def sessions(self) -> list[str]:
        """Session ids, the one with the newest checkpoint last."""
        return [summary.session for summary in self.session_summaries()]

    def first_checkpoint(self, session: str) -> Checkpoint | None:
        """The checkpoint before the session's first change."""
        return min(self.checkpoints(session), key=lambda c: c.step, default=None)

    def changes_since_start(self, session: str) -> list[FileChange]:
        """What the work tree now differs in from before the session's first change."""
        first = self.first_checkpoint(session)
        return [] if first is None else self.changes(first.tree, self.write_tree())

    def changes(self, old_tree: str, new_tree: str) -> list[FileChange]:
        """What turns `old_tree` into `new_tree`, file by file."""
        out = self._run("diff-tree", "-r", "-z", "--no-renames", old_tree, new_tree)
        fields = out.split(b"\0")
        changes: list[FileChange] = []
        for position in range(0, len(fields) - 1, 2):
            meta = fields[position].decode()
            if not meta.startswith(":"):
                break
            _, new_mode, _, new_blob, status = meta[1:].split(" ")
            kind = _change_kind(status)
            path = fields[position + 1].decode(errors="surrogateescape")
            changes.append(
                FileChange(
                    path=path,
                    kind=kind,
                    mode="" if kind == "deleted" else new_mode,
                    blob="" if kind == "deleted" else new_blob,
                )
            )
        return changes

    def diff_text(self, old: str, new: str, color: bool = False, paths: Sequence[str] = ()) -> str:
        args = ["diff", "--no-ext-diff", "--no-textconv", "--stat", "--patch", "--binary"]
        args.append("--color=always" if color else "--no-color")
        out = self._run(*args, old, new, "--", *paths)
        return out.decode(errors="replace")

    def blob(self, object_id: str) -> bytes:
        return self.blobs([object_id])[object_id]

    def blobs(self, object_ids: Sequence[str]) -> dict[str, bytes]:
        """The contents of these objects, read by one git process."""
        wanted = list(dict.fromkeys(object_ids))
        if not wanted:
            return {}
        out = self._run("cat-file", "--batch", stdin="".join(f"{o}\n" for o in wanted).encode())
        found: dict[str, bytes] = {}
        position = 0
        for object_id in wanted:
            header_end = out.index(b"\n", position)
            header = out[position:header_end].decode().split()
            if len(header) != 3:
                raise CheckpointError(f"git has no object {object_id}")
            size = int(header[2])
            found[object_id] = out[header_end + 1 : header_end + 1 + size]
            position = header_end + 1 + size + 1
        return found

    def ignored(self, paths: Sequence[str]) -> set[str]:
        """Which of these work-tree paths the ignore rules now on disk exclude."""
        if not paths:
            return set()
        listing = b"".join(p.encode(errors="surrogateescape") + b"\0" for p in paths)
        out = self._run("check-ignore", "-z", "--stdin", "--no-index", stdin=listing, check=False)
        return {p.decode(errors="surrogateescape") for p in out.split(b"\0") if p}

    # -- pruning ---------------------------------------------------------------------------

    def delete_sessions(self, sessions: Sequence[str]) -> int:
        """Remove every ref of these sessions; returns how many refs went."""
        refs: list[str] = []
        for session in sessions:
            for prefix in (SESSION_REFS, BACKUP_REFS, UNDONE_REFS):
                out = self._run("for-each-ref", "--format=%(refname)", f"{prefix}/{session}/")
                refs.extend(out.decode().split())
            out = self._run("for-each-ref", "--format=%(refname)", f"{END_REFS}/{session}")
            refs.extend(out.decode().split())
        if refs:
            commands = "".join(f"delete {ref}\n" for ref in refs).encode()
            self._run("update-ref", "--stdin", stdin=commands)
        if self.private and refs:
            self._run("gc", "--quiet", "--prune=now", check=False)
        return len(refs)


def _change_kind(status: str) -> ChangeKind:
    if status.startswith("A"):
        return "added"
    if status.startswith("D"):
        return "deleted"
    return "modified"
