"""Catalogue rules: competences, level windows, modality-specific fields; create/update/deactivate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from bridge.catalog import operations
from bridge.catalog.competences import competence_codes, title
from bridge.catalog.fields import FieldValueError, format_competences, parse_competences
from bridge.catalog.operations import CatalogValidationError, TrainingFilter
from bridge.catalog.schema import CompetenceWindow as W
from bridge.catalog.schema import TrainingData, validate_training

START = datetime(2027, 3, 16, 8, 30, tzinfo=UTC)


def online(**changes: object) -> TrainingData:
    data = TrainingData(
        code="PACNUM-41-SECU-1",
        title="Les bons réflexes",
        modality="online",
        duration_minutes=45,
        moodle_course_shortname="PACNUM-41-SECU-1",
        competences=[W("4.1", 0, 2, 3)],
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def fields_of(data: TrainingData) -> set[str]:
    return {e.field for e in validate_training(data)}


def test_the_framework_has_sixteen_competences() -> None:
    assert len(competence_codes()) == 16
    assert title("4.1") == "Sécuriser l'environnement numérique"
    assert title("4.1", "en") == "Securing the digital environment"


def test_valid_online_training() -> None:
    assert validate_training(online()) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "a b"}, "code"),
        ({"title": " "}, "title"),
        ({"modality": "hybrid"}, "modality"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"theme": "cuisine"}, "theme"),
        ({"language": "français"}, "language"),
        ({"moodle_course_shortname": None}, "moodle_course_id"),
        ({"place": "Lyon"}, "place"),
        ({"competences": []}, "competences"),
        ({"competences": [W("6.1", 0, 2, 3)]}, "competences[6.1]"),
        ({"competences": [W("4.1", 0, 2, 3), W("4.1", 1, 2, 3)]}, "competences[4.1]"),
        ({"competences": [W("4.1", 0, 9, 3)]}, "competences[4.1].goal"),
        ({"competences": [W("4.1", 3, 2, 4)]}, "competences[4.1].goal"),
        ({"competences": [W("4.1", 0, 3, 3)]}, "competences[4.1].target"),
    ],
)
def test_each_rule_names_its_field(changes: dict[str, object], field: str) -> None:
    assert field in fields_of(online(**changes))


def test_in_person_needs_place_dates_and_capacity() -> None:
    data = online(modality="in_person", moodle_course_shortname=None)
    assert {"place", "starts_at", "ends_at", "capacity"} <= fields_of(data)
    data.place, data.starts_at, data.ends_at, data.capacity = (
        "IGPDE Lyon",
        START,
        START + timedelta(hours=7),
        12,
    )
    assert validate_training(data) == []
    data.ends_at = START
    data.registration_deadline = START + timedelta(days=1)
    data.capacity = 0
    assert {"ends_at", "registration_deadline", "capacity"} <= fields_of(data)


def test_blended_needs_both_parts() -> None:
    data = online(modality="blended")
    assert {"place", "starts_at", "ends_at", "capacity"} <= fields_of(data)
    data.moodle_course_shortname = None
    assert "moodle_course_id" in fields_of(data)


def test_compact_competence_notation_round_trips() -> None:
    text = "4.1:0-2>3;4.2:-3>4;5.1:2->5"
    windows = parse_competences(text)
    assert windows == [W("4.1", 0, 2, 3), W("4.2", None, 3, 4), W("5.1", 2, None, 5)]
    assert format_competences(windows) == text
    with pytest.raises(FieldValueError, match="CODE:PRÉREQUIS-OBJECTIF>VISÉ"):
        parse_competences("4.1:0-2")


def test_create_update_deactivate(db_session: Session) -> None:
    training = operations.create_training(db_session, online())
    assert training.active
    with pytest.raises(CatalogValidationError) as error:
        operations.create_training(db_session, online(title="Autre"))
    assert [e.field for e in error.value.errors] == ["code"]

    updated = online(title="Nouveau titre", competences=[W("4.1", 0, 2, 3), W("4.2", 1, 2, 3)])
    operations.update_training(db_session, training, updated)
    assert [c.competence for c in training.competences] == ["4.1", "4.2"]
    operations.update_training(db_session, training, online(competences=[W("4.2", 1, 2, 4)]))
    assert [(c.competence, c.target_level) for c in training.competences] == [("4.2", 4)]

    operations.set_active(db_session, training, False)
    assert operations.list_trainings(db_session, TrainingFilter(active=True)) == []
    assert operations.list_trainings(db_session, TrainingFilter(active=False, competence="4.2")) == [training]
    assert operations.list_trainings(db_session, TrainingFilter(competence="4.1")) == []


def test_capacity_cannot_drop_below_seats_taken(db_session: Session) -> None:
    data = online(
        modality="in_person",
        moodle_course_shortname=None,
        place="IGPDE Lille",
        starts_at=START,
        ends_at=START + timedelta(hours=7),
        capacity=10,
    )
    training = operations.create_training(db_session, data)
    training.seats_taken = 6
    data.capacity = 5
    with pytest.raises(CatalogValidationError) as error:
        operations.update_training(db_session, training, data)
    assert [e.field for e in error.value.errors] == ["capacity"]
