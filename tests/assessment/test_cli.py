"""The item bank commands: check, import (all or nothing), export round trip."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.assessment.models import AssessmentItem
from bridge.assessment.store import DEFAULT_BANK_DIR


def test_check_the_shipped_bank(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["bridge", "items", "check"])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output


def test_check_names_file_item_and_field(runner: FlaskCliRunner, tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    shutil.copytree(DEFAULT_BANK_DIR, bank)
    data = yaml.safe_load((bank / "4.1.yaml").read_text(encoding="utf-8"))
    data["items"][0]["irt"]["a"] = 99
    (bank / "4.1.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(args=["bridge", "items", "check", str(bank)])
    assert result.exit_code == 1
    item_id = data["items"][0]["id"]
    assert f"4.1.yaml: item {item_id}: irt.a" in result.output


def test_import_is_all_or_nothing_and_idempotent(
    runner: FlaskCliRunner, db_session: Session, tmp_path: Path
) -> None:
    bank = tmp_path / "bank"
    shutil.copytree(DEFAULT_BANK_DIR, bank)
    (bank / "9.9.yaml").write_text("competence: '9.9'\nitems: []\n", encoding="utf-8")
    result = runner.invoke(args=["bridge", "items", "import", str(bank)])
    assert result.exit_code == 1
    assert "nothing imported" in result.output
    assert db_session.scalar(select(func.count()).select_from(AssessmentItem)) == 0

    (bank / "9.9.yaml").unlink()
    first = runner.invoke(args=["bridge", "items", "import", str(bank)])
    assert first.exit_code == 0, first.output
    assert "224 added" in first.output
    again = runner.invoke(args=["bridge", "items", "import", str(bank)])
    assert "0 added, 0 updated, 224 unchanged" in again.output


def test_export_round_trips(runner: FlaskCliRunner, tmp_path: Path) -> None:
    assert runner.invoke(args=["bridge", "items", "import"]).exit_code == 0
    out = tmp_path / "export"
    result = runner.invoke(args=["bridge", "items", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert "224 items exported" in result.output
    check = runner.invoke(args=["bridge", "items", "check", str(out)])
    assert check.exit_code == 0, check.output
    reimport = runner.invoke(args=["bridge", "items", "import", str(out)])
    assert "224 unchanged" in reimport.output
