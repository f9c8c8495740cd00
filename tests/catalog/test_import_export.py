"""`bridge catalog import|export`: errors naming line and field, all-or-nothing, dry run, round trips."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskCliRunner
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bridge.catalog.demo import DEMO_CATALOGUE
from bridge.catalog.formats import COLUMNS
from bridge.catalog.models import Training

HEADER = ",".join(COLUMNS)
GOOD_ONLINE = "SECU-1,Les bons réflexes,,online,45,fr,securite,4.1:0-2>3,,,PACNUM-41-SECU-1,,,,,,oui"
GOOD_SESSION = (
    'CYBER-LYON,Cybersécurité,,in_person,360,fr,securite,"4.1:3-4>5;4.2:2-3>4",,,,'
    '"IGPDE Lyon, 165 rue Garibaldi",2027-05-18T09:30,2027-05-18T17:00,15,2027-05-04T18:00,oui'
)


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Training)) or 0)


def _import(runner: FlaskCliRunner, path: Path, *options: str) -> tuple[int, str]:
    result = runner.invoke(args=["bridge", "catalog", "import", str(path), *options])
    return result.exit_code, result.output


def test_errors_name_line_and_field_and_nothing_is_written(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "catalogue.csv"
    bad_competences = GOOD_ONLINE.replace("SECU-1,", "SECU-2,", 1).replace("4.1:0-2>3", "4.1:0-2")
    bad_session = GOOD_SESSION.replace(",15,", ",,").replace("in_person,360", "in_person,beaucoup")
    unknown_code = GOOD_ONLINE.replace("SECU-1,", "SECU-3,", 1).replace("4.1:0-2>3", "9.9:0-2>3")
    path.write_text(
        "\n".join([HEADER, GOOD_ONLINE, bad_competences, bad_session, unknown_code, GOOD_ONLINE]) + "\n"
    )

    code, output = _import(runner, path)

    assert code == 1
    assert "ligne 3, champ « competences » : « 4.1:0-2 » ne suit pas la forme" in output
    assert "ligne 4, champ « duration_minutes » : un nombre entier est attendu (reçu « beaucoup »)" in output
    assert "ligne 5, champ « competences[9.9] » : compétence inconnue du référentiel" in output
    assert "ligne 6, champ « code » : code déjà utilisé (ligne 2)" in output
    assert "rien n'a été importé" in output
    assert _count(db_session) == 0  # the good line 2 was not written either


def test_missing_session_fields_are_reported_per_field(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text(HEADER + "\n" + GOOD_SESSION.replace(",15,", ",,") + "\n")
    code, output = _import(runner, path)
    assert code == 1
    assert "ligne 2, champ « capacity » : obligatoire pour une session en présentiel ou hybride" in output


def test_bad_header_is_reported_on_line_one(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text("code,titre,modality\n")
    code, output = _import(runner, path)
    assert code == 1
    assert "ligne 1 : colonnes inconnues : titre" in output
    assert "colonnes obligatoires absentes : title, duration_minutes, competences" in output


def test_yaml_errors_name_the_entry(runner: FlaskCliRunner, db_session: Session, tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(
        "trainings:\n"
        "  - {code: A, title: Titre, modality: online, duration_minutes: 30, moodle_course_id: 12,\n"
        "     competences: [{competence: '4.1', goal: 2, target: 3}]}\n"
        "  - {code: B, title: Titre, modality: online, duration_minutes: 30, couleur: bleu,\n"
        "     competences: [{competence: '4.1', prerequisite: 4, goal: 2, target: 3}]}\n"
    )
    code, output = _import(runner, path)
    assert code == 1
    assert "entrée 2, champ « couleur » : champ inconnu" in output
    assert _count(db_session) == 0


def test_dry_run_then_import_then_unchanged(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text("\ufeff" + HEADER + "\n" + GOOD_ONLINE + "\n" + GOOD_SESSION + "\n", encoding="utf-8")

    code, output = _import(runner, path, "--dry-run")
    assert code == 0, output
    assert "[dry run] Vérification seule : 2 formation(s) à créer" in output
    assert _count(db_session) == 0

    code, output = _import(runner, path)
    assert code == 0, output
    assert "2 formation(s) créée(s), 0 mise(s) à jour, 0 inchangée(s)" in output
    session_training = db_session.scalars(select(Training).where(Training.code == "CYBER-LYON")).one()
    assert session_training.starts_at is not None
    assert session_training.starts_at.hour == 7  # 09:30 in Paris is 07:30 UTC in May

    path.write_text(
        HEADER + "\n" + GOOD_ONLINE.replace("Les bons réflexes", "Réflexes") + "\n" + GOOD_SESSION
    )
    code, output = _import(runner, path)
    assert "0 formation(s) créée(s), 1 mise(s) à jour, 1 inchangée(s)" in output


def test_semicolon_csv_from_a_spreadsheet(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "catalogue.csv"
    row = GOOD_ONLINE.replace(",", ";")
    path.write_text(HEADER.replace(",", ";") + "\n" + row + "\n")
    code, output = _import(runner, path)
    assert code == 0, output
    assert _count(db_session) == 1


def test_round_trip_csv_and_yaml(runner: FlaskCliRunner, db_session: Session, tmp_path: Path) -> None:
    code, output = _import(runner, DEMO_CATALOGUE)
    assert code == 0, output
    for fmt in ("csv", "yaml"):
        first = tmp_path / f"first.{fmt}"
        second = tmp_path / f"second.{fmt}"
        result = runner.invoke(args=["bridge", "catalog", "export", "--format", fmt, "-o", str(first)])
        assert result.exit_code == 0, result.output
        code, output = _import(runner, first)
        assert "0 formation(s) créée(s), 0 mise(s) à jour, 54 inchangée(s)" in output

        db_session.execute(delete(Training))
        db_session.commit()
        code, output = _import(runner, first)
        assert "54 formation(s) créée(s)" in output, output
        runner.invoke(args=["bridge", "catalog", "export", "--format", fmt, "-o", str(second)])
        assert first.read_bytes() == second.read_bytes()


def test_export_to_standard_output(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "catalogue.csv"
    path.write_text(HEADER + "\n" + GOOD_ONLINE + "\n")
    _import(runner, path)
    result = runner.invoke(args=["bridge", "catalog", "export", "--format", "csv"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [HEADER, GOOD_ONLINE]
