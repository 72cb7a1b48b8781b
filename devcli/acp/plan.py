"""The plan the model states, read from its words, for the client's plan view.

Devstral has no plan tool, so the plan is read where the model writes one down: a checklist
(`- [ ] step`, `- [x] done`) in a message or a `think` thought, or a numbered list in a
`think` thought. A numbered list in a message to the user is usually an explanation, not a
plan, so it does not count. At least two items make a plan.
"""

import re

from acp.schema import PlanEntry, PlanEntryStatus

_CHECKLIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[(?P<mark>[ xX])\]\s+(?P<text>\S.*)$")
_NUMBERED_ITEM = re.compile(r"^\s*\d+[.)]\s+(?P<text>\S.*)$")
_MIN_ITEMS = 2


def stated_plan(text: str, numbered_lists_count: bool) -> list[PlanEntry] | None:
    """The plan in `text`, or None when it states none."""
    lines = text.splitlines()
    checklist = [match for line in lines if (match := _CHECKLIST_ITEM.match(line))]
    entries = [
        _entry(match["text"], "pending" if match["mark"] == " " else "completed")
        for match in checklist
    ]
    if len(entries) < _MIN_ITEMS and numbered_lists_count:
        entries = [
            _entry(match["text"], "pending")
            for line in lines
            if (match := _NUMBERED_ITEM.match(line))
        ]
    return entries if len(entries) >= _MIN_ITEMS else None


def _entry(text: str, status: PlanEntryStatus) -> PlanEntry:
    return PlanEntry(content=text.strip(), priority="medium", status=status)
