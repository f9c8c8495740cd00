"""The result of one doctor check: OK, WARN (needs a look) or FAIL (the service will not work)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    def line(self) -> str:
        return f"{self.status.value:<4} {self.name}: {self.detail}"


def ok(name: str, detail: str) -> Check:
    return Check(name, Status.OK, detail)


def warn(name: str, detail: str) -> Check:
    return Check(name, Status.WARN, detail)


def fail(name: str, detail: str) -> Check:
    return Check(name, Status.FAIL, detail)
