"""Rendering a diff for the model: a summary line, the patch, and a per-file summary plus a
patch cut in the middle when the whole would not fit the observation budget."""

from git import Repo

from devcli.tools.git_ops.bounds import (
    OBSERVATION_BUDGET,
    clip_long_lines,
    cut_lines,
    name_some,
    plural,
    split_for_cut,
)
from devcli.tools.git_ops.runner import git_output

STAT_BUDGET = 6_000
_NOTE_ALLOWANCE = 1_200  # room for the note that replaces the cut lines
_DIFF_OPTIONS = ["--no-color", "--no-ext-diff"]
_STAT = ("--stat=120", "--stat-graph-width=12")


def render_patch(
    repo: Repo,
    command: list[str],
    paths: list[str],
    heading: str,
    stat_only: bool = False,
    budget: int = OBSERVATION_BUDGET,
) -> str:
    """`command` is a diff-producing git command (`diff …`, `show …`) without paths."""

    def run(*options: str) -> str:
        args = ["-c", "core.quotePath=off", *command, *_DIFF_OPTIONS, *options, "--", *paths]
        return git_output(repo, args, timeout=120)

    if stat_only:
        stat = run(*_STAT).rstrip("\n")
        if not stat.strip():
            return f"{heading}\nNo differences."
        return f"{heading}\n{_bounded_stat(stat, budget - len(heading) - 200)}"
    patch = clip_long_lines(run("--patch"))
    if not patch.strip():
        return f"{heading}\nNo differences."
    summary = run("--shortstat").strip()
    whole = f"{heading}\n{summary}\n\n{patch}"
    if len(whole) <= budget:
        return whole.rstrip("\n")
    stat = _bounded_stat(run(*_STAT).rstrip("\n"), STAT_BUDGET)
    intro = (
        f"{heading}\nThe diff has {len(patch):,} characters, more than fits here. Summary by "
        f"file:\n{stat}\n\nThe diff itself, cut in the middle:\n"
    )
    room = max(budget - len(intro) - _NOTE_ALLOWANCE, 2_000)
    head, gap, tail = split_for_cut(patch, room)
    note = describe_patch_gap(gap, continued=tail.split("\n", 1)[0])
    return f"{intro}{head}{note}\n{tail}".rstrip("\n")


def _bounded_stat(stat: str, budget: int) -> str:
    return cut_lines(
        stat,
        budget,
        lambda gap: f"[... {plural(len(gap), 'more file')} in the summary, cut here ...]",
    )


def describe_patch_gap(gap: list[str], continued: str) -> str:
    """The note standing for the cut lines: how much, and which files' diffs they hold.

    `continued` is the first line after the cut, to tell whose diff carries on there.
    """
    characters = sum(len(line) for line in gap)
    text = f"[... {characters:,} characters ({plural(len(gap), 'line')}) of the diff cut here"
    starting = [name for line in gap if (name := diff_header_path(line)) is not None]
    if gap and diff_header_path(gap[0]) is None:
        text += "; they first finish the file above the cut"
    if starting:
        text += f"; the diffs of these files begin in the cut part: {name_some(starting)}"
        if diff_header_path(continued) is None:
            text += f"; the lines below the cut are the end of `{starting[-1]}`"
    return (
        text + ". To read one file's changes, call again with `paths` naming it; `stat_only` "
        "gives just the summary ...]"
    )


def diff_header_path(line: str) -> str | None:
    """The file a `diff --git a/X b/X` (or `diff --cc X`) header line introduces."""
    if line.startswith("diff --cc ") or line.startswith("diff --combined "):
        return line.split(" ", 2)[2].rstrip("\n")
    if not line.startswith("diff --git "):
        return None
    rest = line[len("diff --git ") :].rstrip("\n")
    middle = (len(rest) - 1) // 2
    left, right = rest[:middle], rest[middle + 1 :]
    if left.startswith("a/") and right.startswith("b/") and left[2:] == right[2:]:
        return right[2:]
    _, separator, after = rest.partition(" b/")
    return after if separator else rest
