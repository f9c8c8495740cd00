"""Population CSV import: formats, errors naming line and field, atomicity, matching existing agents."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.campaigns.models import CampaignMember
from bridge.campaigns.population import import_population
from bridge.campaigns.population_file import PopulationInvalid, parse_population
from tests.campaigns.conftest import Known

HEADER = "external_id;email;given_name;family_name;directorate;unit\n"


def members(session: Session, campaign_id: int) -> int:
    stmt = select(func.count()).select_from(CampaignMember).where(CampaignMember.campaign_id == campaign_id)
    return int(session.scalar(stmt) or 0)


def errors_of(session: Session, known: Known, text: str | bytes) -> list[tuple[int, str | None]]:
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    with pytest.raises(PopulationInvalid) as error:
        parse_population(session, data, known.other)
    return [(e.line, e.field) for e in error.value.errors]


@pytest.mark.parametrize(
    "data",
    [
        ("\ufeff" + HEADER + "N1;léa.roux@dgfip.gouv.fr;Léa;Roux;dgfip;SIE Nantes\n").encode("utf-8"),
        (HEADER.replace(";", ",") + "N1,léa.roux@dgfip.gouv.fr,Léa,Roux,DGFIP,SIE Nantes\n").encode("utf-8"),
        (
            "identifiant;courriel;prénom;nom;direction;service\r\n"
            "N1;léa.roux@dgfip.gouv.fr;Léa;Roux;DGFIP;SIE Nantes\r\n"
        ).encode(),
    ],
    ids=["bom-semicolon", "comma", "french-headers-crlf"],
)
def test_formats_are_read(db_session: Session, known: Known, data: bytes) -> None:
    rows = parse_population(db_session, data, known.other)
    assert len(rows) == 1
    row = rows[0]
    assert (row.external_id, row.given_name, row.directorate, row.unit) == (
        "N1",
        "Léa",
        "DGFIP",
        "SIE Nantes",
    )


def test_errors_name_line_and_field(db_session: Session, known: Known) -> None:
    text = (
        HEADER
        + "N1;bad-email;A;B;DGFIP;U\n"  # line 2
        + ";;A;B;DGFIP;U\n"  # line 3: neither id nor e-mail
        + "N4;n4@x.fr;A;B;MARS;U\n"  # line 4: unknown directorate
        + "N1;n5@x.fr;A;B;DGFIP;U\n"  # line 5: external id already on line 2
        + "\n"  # blank lines are skipped
        + "N7;N4@X.FR;A;B;DGFIP;U\n"  # line 7: e-mail already on line 4 (case-insensitive)
        + "N8;n8@x.fr;A;B\n"  # line 8: missing values
    )
    assert errors_of(db_session, known, text) == [
        (2, "email"),
        (3, "external_id"),
        (4, "directorate"),
        (5, "external_id"),
        (7, "email"),
        (8, None),
    ]


def test_header_errors(db_session: Session, known: Known) -> None:
    assert errors_of(db_session, known, "emial;given_name\nx@y.fr;A\n") == [(1, "emial"), (1, None)]
    assert errors_of(db_session, known, "") == [(1, None)]
    assert errors_of(db_session, known, HEADER) == [(2, None)]


def test_quoted_multiline_cell_keeps_file_line_numbers(db_session: Session, known: Known) -> None:
    text = HEADER + 'N1;n1@x.fr;A;"B\nsuite";DGFIP;U\nN2;bad;A;B;DGFIP;U\n'
    assert errors_of(db_session, known, text) == [(4, "email")]


def test_not_utf8_is_refused_with_its_line(db_session: Session, known: Known) -> None:
    data = (HEADER + "N1;n1@x.fr;Léa;Roux;DGFIP;U\n").encode("cp1252")
    assert errors_of(db_session, known, data) == [(2, None)]


def test_nothing_is_written_when_a_row_is_wrong(
    db_session: Session, known: Known, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    before = db_session.scalar(select(func.count()).select_from(Agent))
    path = tmp_path / "pop.csv"
    path.write_text(HEADER + "N1;n1@x.fr;A;B;DGFIP;U\nN2;oops;A;B;DGFIP;U\n", encoding="utf-8")
    result = runner.invoke(args=["bridge", "campaign", "import-population", "DOUANE-T1", str(path)])
    assert result.exit_code == 1
    assert "ligne 3, email" in result.output
    assert "nothing imported" in result.output
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Agent)) == before
    assert members(db_session, known.other.id) == 1


def test_import_matches_existing_agents_and_is_idempotent(db_session: Session, known: Known) -> None:
    text = (
        HEADER
        + "X-a1;;;;;Nouveau service\n"  # a1 by external id: unit updated, names kept
        + ";A2@EXAMPLE.GOUV.FR;;;DGFIP;\n"  # a2 by e-mail, case-insensitive
        + "N9;n9@x.fr;Nina;Petit;;SIE Brest\n"  # new agent, directorate of the campaign (DOUANE)
    )
    rows = parse_population(db_session, text.encode(), known.other)
    summary = import_population(db_session, known.other, rows)
    db_session.commit()
    assert (summary.agents_created, summary.agents_updated, summary.members_added) == (1, 2, 3)
    a1 = db_session.get(Agent, known.agents["a1"].id)
    assert a1 is not None
    db_session.refresh(a1)
    assert (a1.unit, a1.given_name, a1.directorate) == ("Nouveau service", "a1", "DGFIP")
    nina = db_session.scalar(select(Agent).where(Agent.external_id == "N9"))
    assert nina is not None
    assert nina.sub is None
    assert nina.directorate == "DOUANE"
    member = db_session.scalar(select(CampaignMember).where(CampaignMember.agent_id == nina.id))
    assert member is not None
    assert (member.source, member.unit) == ("csv", "SIE Brest")
    assert members(db_session, known.other.id) == 4

    again = import_population(
        db_session, known.other, parse_population(db_session, text.encode(), known.other)
    )
    db_session.commit()
    assert (again.agents_created, again.members_added, again.already_members) == (0, 0, 3)
    assert members(db_session, known.other.id) == 4


def test_two_rows_designating_one_agent_are_refused(db_session: Session, known: Known) -> None:
    text = HEADER + "X-a1;;;;;\nZZ;a1@example.gouv.fr;;;;\n"
    rows = parse_population(db_session, text.encode(), known.other)
    with pytest.raises(PopulationInvalid) as error:
        import_population(db_session, known.other, rows)
    assert [(e.line, e.field) for e in error.value.errors] == [(3, None)]


def test_cli_dry_run_writes_nothing(
    db_session: Session, known: Known, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "pop.csv"
    path.write_text(HEADER + "N1;n1@x.fr;A;B;DGFIP;U\nN2;n2@x.fr;A;B;DOUANE;V\n", encoding="utf-8-sig")
    result = runner.invoke(
        args=["bridge", "campaign", "import-population", "DOUANE-T1", str(path), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "Dry run: 2 rows: 2 members would be added" in result.output
    assert members(db_session, known.other.id) == 1
    result = runner.invoke(args=["bridge", "campaign", "import-population", "DOUANE-T1", str(path)])
    assert result.exit_code == 0, result.output
    assert "Imported: 2 rows: 2 members were added" in result.output
    db_session.expire_all()
    assert members(db_session, known.other.id) == 3
    unknown = runner.invoke(args=["bridge", "campaign", "import-population", "NOPE", str(path)])
    assert unknown.exit_code == 1
    assert "no campaign with code 'NOPE'" in unknown.output
