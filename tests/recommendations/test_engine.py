"""The pure recommender: PIX trigger semantics, ranking, the cap, exclusions and reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.catalog.schema import CompetenceWindow as W
from bridge.recommendations import engine, reasons
from bridge.recommendations.engine import TrainingOption, rank, triggers_fire, window_fires

NOW = datetime(2027, 1, 10, tzinfo=UTC)


def option(id: int, windows: tuple[W, ...], **fields: object) -> TrainingOption:
    values: dict[str, object] = {"code": f"T{id:02d}", "modality": "online", "duration_minutes": 60}
    values.update(fields)
    return TrainingOption(id=id, windows=windows, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("prerequisite", "goal", "level", "fires"),
    [
        (2, 4, 1, False),  # below the prerequisite
        (2, 4, 2, True),  # prerequisite reached (>=)
        (2, 4, 4, True),  # at the goal threshold (<=)
        (2, 4, 5, False),  # above the goal: nothing left to learn here
        (None, 3, 0, True),  # open prerequisite
        (3, None, 8, True),  # open goal
        (None, None, 0, True),
        (0, 2, None, False),  # no level for this competence: the trigger cannot fire
    ],
)
def test_window_fires(prerequisite: int | None, goal: int | None, level: int | None, fires: bool) -> None:
    assert window_fires(W("4.1", prerequisite, goal, 5), level) is fires


def test_all_triggers_must_fire() -> None:
    windows = (W("4.1", 0, 2, 3), W("4.2", 2, 3, 4))
    assert triggers_fire(windows, {"4.1": 1, "4.2": 2})
    assert not triggers_fire(windows, {"4.1": 1, "4.2": 1})  # the 4.2 prerequisite does not fire
    assert not triggers_fire(windows, {"4.1": 3, "4.2": 2})  # the 4.1 goal does not fire
    assert not triggers_fire(windows, {"4.1": 1})  # 4.2 unknown
    assert not triggers_fire((), {"4.1": 1})


def test_ranked_by_gap_closed_toward_the_profile() -> None:
    levels = {"4.1": 1, "3.4": 1, "2.1": 1}
    profile = {"4.1": 3, "2.1": 2}
    options = [
        option(1, (W("3.4", 0, 2, 4),)),  # no profile goal: 3 levels beyond -> score 3
        option(2, (W("4.1", 0, 2, 3),)),  # closes 2 profile levels -> 6
        option(3, (W("2.1", 0, 1, 4),)),  # closes 1 profile level (goal 2) + 2 beyond -> 5
    ]
    proposals = rank(levels, profile, options, now=NOW)
    assert [p.training_id for p in proposals] == [2, 3, 1]
    assert [p.score for p in proposals] == [6, 5, 3]


def test_ties_broken_by_modality_then_duration_then_seats() -> None:
    window = (W("4.1", 0, 2, 3),)
    options = [
        option(1, window, modality="in_person", capacity=10, seats_taken=10),  # full
        option(2, window, modality="in_person", capacity=10, seats_taken=3),
        option(3, window, modality="online", duration_minutes=90),
        option(4, window, modality="online", duration_minutes=30),
        option(5, window, modality="blended", capacity=5),
    ]
    ids = [p.training_id for p in rank({"4.1": 1}, {"4.1": 3}, options, now=NOW, limit=10)]
    assert ids == [4, 3, 5, 2, 1]
    preferred = rank(
        {"4.1": 1}, {"4.1": 3}, options, now=NOW, limit=10, modality_preference=("in_person", "online")
    )
    assert [p.training_id for p in preferred] == [2, 1, 4, 3, 5]


def test_cap_and_exclusions() -> None:
    window = (W("4.1", 0, 2, 3),)
    options = [option(i, window, duration_minutes=i) for i in range(1, 9)]
    options.append(option(20, window, active=False))
    options.append(
        option(21, window, modality="in_person", capacity=5, registration_deadline=NOW - timedelta(days=1))
    )
    options.append(option(22, window, modality="in_person", capacity=5, starts_at=NOW - timedelta(hours=1)))
    ids = [p.training_id for p in rank({"4.1": 1}, {"4.1": 3}, options, now=NOW, exclude={1, 2})]
    assert ids == [3, 4, 5, 6, 7]
    assert rank({"4.1": 1}, {"4.1": 3}, options, now=NOW, limit=0) == []


def test_nothing_to_gain_is_not_recommended() -> None:
    # Level 3 inside the window but the training only leads to 3: nothing to gain.
    options = [option(1, (W("4.1", None, 3, 3),))]
    assert rank({"4.1": 3}, {"4.1": 4}, options, now=NOW) == []


def test_reason_in_plain_french_and_english() -> None:
    proposal = rank({"4.1": 2}, {"4.1": 3}, [option(1, (W("4.1", 0, 2, 4),))], now=NOW)[0]
    data = reasons.reason_data(proposal.gaps, "agent_accueil", proposal.score)
    assert reasons.render(data, "fr") == (
        "Votre niveau en 4.1 (Sécuriser l'environnement numérique) est 2 ; l'objectif de votre profil est 3."
    )
    assert reasons.render(data, "en") == (
        "Your level in 4.1 (Securing the digital environment) is 2; your profile's goal is 3."
    )
    assert reasons.loads(reasons.dumps(data)) == data


def test_reason_beyond_the_profile() -> None:
    proposal = rank({"3.4": 1}, {}, [option(1, (W("3.4", 0, 2, 3),))], now=NOW)[0]
    text = reasons.render(reasons.reason_data(proposal.gaps, "encadrant", proposal.score))
    assert text == "Votre niveau en 3.4 (Programmer) est 1 ; cette formation mène au niveau 3."


def test_profile_weight_is_documented_value() -> None:
    gap = engine.Gap("4.1", level=1, goal=3, target=5)
    assert (gap.closes, gap.beyond, gap.score) == (2, 2, engine.PROFILE_WEIGHT * 2 + 2)
