"""The recommender, as pure functions on plain data (no database, no Flask): easy to test and to bench.

A training fits an agent when ALL its triggers fire (PIX semantics): for every competence it serves,
``prerequisite <= level`` (when set) and ``level <= goal`` (when set); a competence the agent has no level
for does not fire. Fitting trainings are ranked by the gap they close, weighted toward the target profile:

    score = sum over served competences of
            PROFILE_WEIGHT * max(0, min(target, profile goal) - level)    (the profile gap it closes)
          + max(0, target - max(level, profile goal))                    (progress beyond the profile)

then by modality preference (online first by default), shorter duration, and sessions with seats left
before full ones (which lead to a waiting list); the code breaks the last ties so the order is stable.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bridge.catalog.schema import CompetenceWindow

PROFILE_WEIGHT = 3
DEFAULT_MODALITY_PREFERENCE: tuple[str, ...] = ("online", "blended", "in_person")
DEFAULT_LIMIT = 5


@dataclass(frozen=True)
class TrainingOption:
    """What the engine needs to know about one training."""

    id: int
    code: str
    modality: str
    duration_minutes: int
    windows: tuple[CompetenceWindow, ...]
    active: bool = True
    capacity: int | None = None  # None: no session (online)
    seats_taken: int = 0
    starts_at: datetime | None = None
    registration_deadline: datetime | None = None

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.seats_taken)

    def open_at(self, now: datetime) -> bool:
        """Still open for registration: the deadline (or, without one, the start) is not past."""
        closes = self.registration_deadline or self.starts_at
        return closes is None or now <= closes


@dataclass(frozen=True)
class Gap:
    """One competence a training moves: the agent's level, the profile goal, the training's target."""

    competence: str
    level: int
    goal: int | None
    target: int

    @property
    def closes(self) -> int:
        return 0 if self.goal is None else max(0, min(self.target, self.goal) - self.level)

    @property
    def beyond(self) -> int:
        return max(0, self.target - max(self.level, self.goal if self.goal is not None else self.level))

    @property
    def score(self) -> int:
        return PROFILE_WEIGHT * self.closes + self.beyond


@dataclass(frozen=True)
class Proposal:
    training_id: int
    code: str
    score: int
    gaps: tuple[Gap, ...]


def window_fires(window: CompetenceWindow, level: int | None) -> bool:
    if level is None:
        return False
    if window.prerequisite is not None and level < window.prerequisite:
        return False
    return window.goal is None or level <= window.goal


def triggers_fire(windows: Sequence[CompetenceWindow], levels: Mapping[str, int]) -> bool:
    """True when every trigger of the training fires for these levels (no windows: never)."""
    return bool(windows) and all(window_fires(w, levels.get(w.competence)) for w in windows)


def gaps(
    windows: Sequence[CompetenceWindow], levels: Mapping[str, int], profile: Mapping[str, int]
) -> tuple[Gap, ...]:
    """The gaps a fitting training moves, biggest first (profile gaps before progress beyond it)."""
    found = [
        Gap(w.competence, levels[w.competence], profile.get(w.competence), w.target)
        for w in windows
        if w.competence in levels
    ]
    return tuple(
        sorted((g for g in found if g.score > 0), key=lambda g: (-g.closes, -g.beyond, g.competence))
    )


def rank(
    levels: Mapping[str, int],
    profile: Mapping[str, int],
    options: Sequence[TrainingOption],
    *,
    now: datetime,
    exclude: Collection[int] = (),
    modality_preference: Sequence[str] = DEFAULT_MODALITY_PREFERENCE,
    limit: int = DEFAULT_LIMIT,
) -> list[Proposal]:
    """At most ``limit`` proposals, best first. ``exclude``: training ids already decided by the agent."""
    preference = {modality: index for index, modality in enumerate(modality_preference)}
    ranked: list[tuple[tuple[int, int, int, int, str], Proposal]] = []
    for option in options:
        if option.id in exclude or not option.active or not option.open_at(now):
            continue
        if not triggers_fire(option.windows, levels):
            continue
        moved = gaps(option.windows, levels, profile)
        score = sum(g.score for g in moved)
        if score <= 0:
            continue
        full = 1 if option.seats_left == 0 else 0
        key = (
            -score,
            preference.get(option.modality, len(preference)),
            option.duration_minutes,
            full,
            option.code,
        )
        ranked.append((key, Proposal(option.id, option.code, score, moved)))
    ranked.sort(key=lambda item: item[0])
    return [proposal for _key, proposal in ranked[: max(0, limit)]]
