"""`catalog import --check-lms`: each Moodle course is looked up in a fake Moodle over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.catalog.formats import COLUMNS
from bridge.catalog.models import Training
from config.crypto import SecretBox
from config.settings import Settings
from tests.fakes.moodle import FakeMoodle
from tests.support import domain

HEADER = ",".join(COLUMNS)


def row(code: str, course_id: str = "", shortname: str = "", connection: str = "") -> str:
    return (
        f"{code},Titre {code},,online,30,fr,securite,4.1:0-2>3,{connection},{course_id},{shortname},,,,,,oui"
    )


@pytest.fixture
def moodle() -> Iterator[FakeMoodle]:
    with FakeMoodle() as fake:
        fake.add_token("CATALOGTOKEN")
        fake.add_course("PACNUM-41-SECU-1", id=41)
        fake.add_course("PACNUM-42-RGPD-1", id=42)
        yield fake


def _import(runner: FlaskCliRunner, tmp_path: Path, *rows: str) -> tuple[int, str]:
    path = tmp_path / "catalogue.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    result = runner.invoke(args=["bridge", "catalog", "import", str(path), "--check-lms"])
    return result.exit_code, result.output


def test_missing_courses_are_errors(
    runner: FlaskCliRunner, db_session: Session, settings: Settings, moodle: FakeMoodle, tmp_path: Path
) -> None:
    domain.lms_connection(
        db_session, SecretBox(settings.encryption_keys()), base_url=moodle.url, token="CATALOGTOKEN"
    )
    db_session.commit()

    code, output = _import(
        runner,
        tmp_path,
        row("A", course_id="41"),
        row("B", course_id="999"),
        row("C", shortname="PACNUM-99-NOPE"),
        row("D", course_id="42", shortname="PACNUM-41-SECU-1"),
    )

    assert code == 1
    assert "ligne 3, champ « moodle_course_id » : aucun cours Moodle n'a l'identifiant 999" in output
    assert (
        "ligne 4, champ « moodle_course_shortname » : aucun cours Moodle n'a le nom abrégé « PACNUM-99-NOPE »"
        in output
    )
    assert "ligne 5, champ « moodle_course_shortname » : le cours 42 s'appelle « PACNUM-42-RGPD-1 »" in output
    assert "ligne 2" not in output
    # "ids" fails as a whole on the unknown 999, then one call per id (3), one per shortname (1).
    assert moodle.calls["core_course_get_courses_by_field"] == 1 + 3 + 1
    assert db_session.scalars(select(Training)).all() == []


def test_found_courses_complete_the_course_id_and_connection(
    runner: FlaskCliRunner, db_session: Session, settings: Settings, moodle: FakeMoodle, tmp_path: Path
) -> None:
    connection = domain.lms_connection(
        db_session, SecretBox(settings.encryption_keys()), base_url=moodle.url, token="CATALOGTOKEN"
    )
    db_session.commit()

    code, output = _import(runner, tmp_path, row("A", shortname="PACNUM-42-RGPD-1"), row("B", course_id="41"))

    assert code == 0, output
    trainings = {t.code: t for t in db_session.scalars(select(Training))}
    assert (trainings["A"].moodle_course_id, trainings["A"].lms_connection_id) == (42, connection.id)
    assert trainings["B"].lms_connection_id == connection.id
    assert moodle.calls["core_course_get_courses_by_field"] == 2  # one call for every id, one per shortname


def test_without_connection_or_with_a_bad_token(
    runner: FlaskCliRunner, db_session: Session, settings: Settings, moodle: FakeMoodle, tmp_path: Path
) -> None:
    code, output = _import(runner, tmp_path, row("A", course_id="41"))
    assert code == 1
    assert "aucune connexion LMS active" in output

    domain.lms_connection(
        db_session, SecretBox(settings.encryption_keys()), base_url=moodle.url, token="WRONG"
    )
    db_session.commit()
    code, output = _import(runner, tmp_path, row("A", course_id="41"))
    assert code == 1
    assert "--check-lms: Moodle ne répond pas comme prévu" in output
    assert "WRONG" not in output
