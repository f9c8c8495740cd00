"""What a handler of the fake sees: the state, the site URL, the token's user, the clock."""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakes.moodle.state import MoodleState


@dataclass
class Ctx:
    state: MoodleState
    siteurl: str
    userid: int
    now: int
    functions: list[tuple[str, str]]  # (name, version) in the token's service
    sitename: str = "LTI Lab Moodle"
    release: str = "4.5.6 (Build: 20250811)"
    version: str = "2024100706"
