"""The doctor's findings: one line per check, ok / warning / problem, with the fix."""

from enum import StrEnum

from pydantic import BaseModel, Field


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"
    SKIPPED = "skipped"  # not relevant to this configuration


class Check(BaseModel):
    area: str
    name: str
    status: Status
    detail: str
    fix: str = ""


class Report(BaseModel):
    checks: list[Check] = Field(default_factory=list)

    def add(self, area: str, name: str, status: Status, detail: str, fix: str = "") -> None:
        self.checks.append(Check(area=area, name=name, status=status, detail=detail, fix=fix))

    @property
    def problems(self) -> list[Check]:
        return [check for check in self.checks if check.status is Status.PROBLEM]

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0
