"""Exports: one row per member, the documented columns, CSV (BOM, separators) and XLSX, page and CLI."""

from __future__ import annotations

import csv
import io
import urllib.request
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import update
from sqlalchemy.orm import Session

from bridge.campaigns.models import CampaignMember
from bridge.catalog.models import Training
from bridge.recommendations.models import Recommendation
from bridge.tracker import export
from bridge.tracker.filters import Filters
from tests.campaigns.conftest import CODES, Known, at
from tests.campaigns.xlsx import read_rows
from tests.support import admin as admin_support
from tests.support.live_server import LiveServer


def read_csv(data: bytes, delimiter: str = ";") -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the accents right
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def add_recommendations(session: Session, known: Known) -> None:
    trainings = [
        Training(code=f"T{i}", title=f"Formation {i}", modality="online", duration_minutes=60)
        for i in range(3)
    ]
    session.add_all(trainings)
    session.flush()
    a1 = known.agents["a1"].id
    for training, status in zip(trainings, ["completed", "declined", "proposed"], strict=True):
        session.add(
            Recommendation(
                agent_id=a1,
                training_id=training.id,
                campaign_id=known.campaign.id,
                reason="r",
                status=status,
                proposed_at=at(3),
            )
        )
    session.commit()


def test_layout_columns() -> None:
    header = export.Layout(CODES, include_email=True).header
    assert header[:5] == ["campaign", "directorate", "unit", "external_id", "email"]
    assert header[5:11] == list(export.DATE_FIELDS)
    assert header[11] == "level_1.1"
    assert header[11 + 16] == "first_level_1.1"
    assert header[-9:] == ["recommendations"] + [
        f"recommendations_{s}"
        for s in (
            "proposed",
            "accepted",
            "declined",
            "not_relevant",
            "enrolment_pending",
            "waitlisted",
            "enrolled",
            "completed",
        )
    ]
    assert len(header) == 5 + 6 + 32 + 9
    assert "email" not in export.Layout(CODES, include_email=False).header


def test_csv_rows_and_values(db_session: Session, known: Known, admin_client: FlaskClient) -> None:
    add_recommendations(db_session, known)
    response = admin_client.get("/admin/campagnes/DGFIP-T1/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response.get_data())
    assert len(rows) == 5
    by_id = {r["external_id"]: r for r in rows}
    a1 = by_id["X-a1"]
    assert (a1["campaign"], a1["directorate"], a1["unit"], a1["email"]) == (
        "DGFIP-T1",
        "DGFIP",
        "SIE Lyon",
        "a1@example.gouv.fr",
    )
    assert a1["completed_at"] == "2026-03-20 10:00:00"
    assert (a1["level_1.1"], a1["first_level_1.1"]) == ("3", "1")
    assert (a1["recommendations"], a1["recommendations_completed"], a1["recommendations_declined"]) == (
        "3",
        "1",
        "1",
    )
    a4 = by_id["X-a4"]
    assert (a4["first_launch_at"], a4["level_1.1"], a4["recommendations"]) == ("", "", "0")
    comma = admin_client.get("/admin/campagnes/DGFIP-T1/export.csv?sep=comma&directorate=DOUANE")
    assert [r["external_id"] for r in read_csv(comma.get_data(), ",")] == ["X-a5"]


def test_formulas_are_neutralised(db_session: Session, known: Known) -> None:
    known.agents["a1"].unit = "=HYPERLINK(1)"

    db_session.execute(
        update(CampaignMember).where(CampaignMember.agent_id == known.agents["a1"].id).values(unit="=1+1")
    )
    db_session.commit()
    data = b"".join(
        export.stream_csv(db_session, [known.campaign.id], Filters(), export.Layout(CODES, False))
    )
    assert "'=1+1" in data.decode("utf-8")


def test_xlsx_read_back(db_session: Session, known: Known, admin_client: FlaskClient, tmp_path: Path) -> None:
    response = admin_client.get("/admin/campagnes/DGFIP-T1/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    path = tmp_path / "export.xlsx"
    path.write_bytes(response.get_data())
    rows = read_rows(path)
    header = rows[0]
    assert header == export.Layout(CODES, include_email=True).header
    assert len(rows) == 6
    a1 = next(dict(zip(header, r, strict=False)) for r in rows[1:] if r[3] == "X-a1")
    assert a1["level_1.1"] == "3"
    assert a1["first_level_3.4"] == "1"
    assert a1["targeted_at"] is not None
    assert float(a1["targeted_at"]) > 46000


def test_partitions_cover_every_member(db_session: Session, known: Known, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(export, "PARTITION", 2)
    partitions = list(export.iter_records(db_session, [known.campaign.id], Filters()))
    assert [len(p) for p in partitions] == [2, 2, 1]
    assert len({r.member_id for p in partitions for r in p}) == 5


def test_cli_export(known: Known, runner: FlaskCliRunner, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    result = runner.invoke(
        args=["bridge", "campaign", "export", "DGFIP-T1", "--format", "csv", "-o", str(target), "--no-email"]
    )
    assert result.exit_code == 0, result.output
    assert "Exported 5 rows" in result.output
    rows = read_csv(target.read_bytes())
    assert len(rows) == 5
    assert "email" not in rows[0]
    xlsx = tmp_path / "out.xlsx"
    result = runner.invoke(
        args=["bridge", "campaign", "export", "DGFIP-T1", "--format", "xlsx", "-o", str(xlsx)]
    )
    assert result.exit_code == 0, result.output
    assert len(read_rows(xlsx)) == 6
    missing = runner.invoke(args=["bridge", "campaign", "export", "NOPE", "-o", str(target)])
    assert missing.exit_code == 1


def test_downloads_stream_over_real_http(known: Known, live_server: LiveServer, app: Flask) -> None:
    """Through a real server the request's session is gone before the body streams: the export must
    read with its own session."""
    cookie = admin_support.session_cookie(app, app.extensions["bridge.db"])
    for extension in ("csv", "xlsx"):
        request = urllib.request.Request(
            f"{live_server.url}/admin/campagnes/DGFIP-T1/export.{extension}",
            headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        if extension == "csv":
            assert len(read_csv(body)) == 5
        else:
            assert body.startswith(b"PK")


def test_all_campaigns_export(
    known: Known, admin_client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    rows = read_csv(admin_client.get("/admin/campagnes/export.csv").get_data())
    assert sorted(r["campaign"] for r in rows) == ["DGFIP-T1"] * 5 + ["DOUANE-T1"]
    douane = read_csv(admin_client.get("/admin/campagnes/export.csv?directorate=DOUANE").get_data())
    assert sorted(r["external_id"] for r in douane) == ["X-a5", "X-a6"]
    target = tmp_path / "all.csv"
    result = runner.invoke(args=["bridge", "campaign", "export", "--all", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "Exported 6 rows" in result.output
    both = runner.invoke(args=["bridge", "campaign", "export", "DGFIP-T1", "--all", "-o", str(target)])
    assert both.exit_code == 1
    assert "not both" in both.output
