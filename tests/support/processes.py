"""The process tree, read from /proc: what runs below a process the tests started."""

import os
from pathlib import Path


def descendants(pid: int) -> list[tuple[int, list[str]]]:
    """The processes below `pid` with their command lines, read from /proc."""
    parents: dict[int, int] = {}
    commands: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            raw = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue  # it ended while we looked
        # The command name in parentheses may hold spaces: the fields after it are plain.
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        commands[int(entry)] = [part.decode() for part in raw.split(b"\0") if part]
    found: list[tuple[int, list[str]]] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                found.append((child, commands[child]))
                frontier.append(child)
    return found
