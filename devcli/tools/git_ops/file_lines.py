"""Numbered, range-limited views of a file's lines, shared by `show` and `blame`."""

from pydantic import BaseModel

from devcli.tools.git_ops.bounds import OBSERVATION_BUDGET, clip_long_lines, cut_lines, plural
from devcli.tools.git_ops.runner import GitFailure


class LineRange(BaseModel):
    start: int | None = None
    end: int | None = None

    @property
    def given(self) -> bool:
        return self.start is not None or self.end is not None

    def resolve(self, line_count: int, what: str) -> tuple[int, int]:
        """The first and last line to show, checked against the file's length."""
        first = self.start or 1
        last = line_count if self.end is None or self.end == -1 else self.end
        if line_count == 0:
            raise GitFailure(f"{what} is empty.")
        if first > line_count:
            raise GitFailure(f"{what} has {plural(line_count, 'line')}, so it has no line {first}.")
        if last < first:
            raise GitFailure(f"end_line {last} comes before start_line {first}.")
        return first, min(last, line_count)


def split_lines(content: str) -> list[str]:
    lines = content.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def numbered_lines(content: str, lines: LineRange, what: str) -> str:
    all_lines = split_lines(content)
    first, last = lines.resolve(len(all_lines), what)
    body = "\n".join(
        f"{number:6}\t{line}"
        for number, line in enumerate(all_lines[first - 1 : last], start=first)
    )
    span = (
        f"lines {first}-{last} of {len(all_lines):,}"
        if lines.given
        else (plural(len(all_lines), "line"))
    )
    heading = f"{what}, {span}:\n"
    return heading + cut_lines(
        clip_long_lines(body),
        OBSERVATION_BUDGET - len(heading) - 300,
        _describe_line_gap,
    )


def _describe_line_gap(gap: list[str]) -> str:
    numbers = [part.split("\t", 1)[0].strip() for part in (gap[0], gap[-1])] if gap else []
    where = f" (lines {numbers[0]}-{numbers[1]})" if numbers else ""
    return (
        f"[... {plural(len(gap), 'line')}{where} cut here; pass start_line and end_line to "
        "read them ...]"
    )
