"""One agent's export and erasure (GDPR): content, audit, aggregates unchanged, identity gone everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import ScoreOutbox
from bridge.audit.models import AuditEvent
from bridge.privacy.agents import AgentLookupError, find_agent
from bridge.recommendations.models import Recommendation
from sync.models import OutboxOperation
from tests.ops.privacy_data import CAMILLE, ISSUER, seed, text_occurrences, tracker_figures

IDENTITY = ("camille.martin@dgfip", "Camille", "Martinez", "cmartin", "DGFIP-000123", "moodle-user-4242")


def _invoke(runner: FlaskCliRunner, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(args=["bridge", "agent", *args], input=input)


def test_export_holds_everything_about_the_agent(runner: FlaskCliRunner, db_session: Session) -> None:
    data = seed(db_session)
    result = _invoke(runner, "export", "--platform", ISSUER, "--sub", CAMILLE["sub"])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.output)

    assert exported["format"] == "pacnum-bridge/agent-export/1"
    agent = exported["agent"]
    assert agent["id"] == data.camille.id
    for field in ("email", "given_name", "family_name", "username", "external_id", "sub", "lms_user_id"):
        assert agent[field] == CAMILLE[field]
    assert agent["platform"] == {"issuer": ISSUER, "client_id": "pacnum", "name": "Moodle DGFIP"}
    assert [m["campaign"]["code"] for m in exported["campaign_memberships"]] == ["dgfip-1"]
    (assessment,) = exported["assessments"]
    assert assessment["status"] == "finished"
    assert [r["item_id"] for r in assessment["responses"]] == ["1.1-a", "4.1-b"]
    assert [(r["competence"], r["level"]) for r in assessment["results"]] == [("1.1", 3), ("4.1", 1)]
    (recommendation,) = exported["recommendations"]
    assert recommendation["training"]["code"] == "t-4-1"
    assert recommendation["feedback"].startswith("Camille")
    (operation,) = exported["lms_outbox"]
    assert operation["payload"]["userid"] == 4242
    (score,) = exported["gradebook_scores"]
    assert score["user_sub"] == CAMILLE["sub"]
    assert [e["action"] for e in exported["audit_events"]] == ["agent.update"]
    # Nothing about the other agent.
    assert "dominique" not in result.output.lower()
    assert "5151" not in result.output

    audit = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "agent.export")).one()
    assert audit.target == f"agent:{data.camille.id}"
    assert audit.actor.startswith("cli")


def test_export_to_a_file(runner: FlaskCliRunner, db_session: Session, tmp_path: Path) -> None:
    seed(db_session)
    target = tmp_path / "camille.json"
    result = _invoke(runner, "export", "--external-id", "DGFIP-000123", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert "exported to" in result.output
    assert "1 assessments" in result.output
    assert json.loads(target.read_text(encoding="utf-8"))["agent"]["external_id"] == "DGFIP-000123"
    assert target.stat().st_mode & 0o777 == 0o600


def test_lookup_errors_say_how_to_fix(runner: FlaskCliRunner, db_session: Session) -> None:
    seed(db_session)
    missing = _invoke(runner, "export", "--platform", ISSUER, "--sub", "nobody")
    assert missing.exit_code == 1
    assert "no agent matches" in missing.output
    no_platform = _invoke(runner, "export", "--sub", CAMILLE["sub"])
    assert "--sub needs --platform" in no_platform.output
    nothing = _invoke(runner, "erase")
    assert "--external-id" in nothing.output


def test_several_matches_are_refused(db_session: Session) -> None:
    seed(db_session)
    db_session.add(Agent(sub="other", external_id="DGFIP-000123"))
    db_session.commit()
    with pytest.raises(AgentLookupError, match="several agents match: add --platform"):
        find_agent(db_session, external_id="DGFIP-000123")


def test_erase_removes_the_identity_everywhere_and_keeps_the_figures(
    runner: FlaskCliRunner, db_session: Session
) -> None:
    data = seed(db_session)
    before = tracker_figures(db_session)
    for needle in IDENTITY:
        assert text_occurrences(db_session, needle), needle  # the scan does find them before

    result = _invoke(runner, "erase", "--platform", ISSUER + "/", "--sub", CAMILLE["sub"], "--yes")
    assert result.exit_code == 0, result.output
    assert f"Agent {data.camille.id} erased" in result.output
    db_session.expire_all()

    for needle in IDENTITY:
        assert text_occurrences(db_session, needle) == [], needle
    assert tracker_figures(db_session) == before

    camille = db_session.get(Agent, data.camille.id)
    assert camille is not None
    assert camille.erased_at is not None
    assert camille.sub is not None
    assert camille.sub.startswith("erased-")
    assert camille.lms_user_id is None
    assert (camille.directorate, camille.unit) == ("DGFIP", "SIP Lyon 3")
    operation = db_session.scalars(
        select(OutboxOperation).where(OutboxOperation.payload["userid"].as_integer().is_(None))
    ).first()
    assert operation is not None
    assert operation.status == "skipped"
    assert operation.payload == {"erased": True}
    score = db_session.scalars(select(ScoreOutbox).where(ScoreOutbox.user_sub == camille.sub)).one()
    assert score.status == "cancelled"
    feedback = db_session.scalars(
        select(Recommendation.feedback).where(Recommendation.agent_id == camille.id)
    )
    assert list(feedback) == [None]

    # The other agent is untouched.
    dominique = db_session.get(Agent, data.dominique.id)
    assert dominique is not None
    assert dominique.email == "dominique.petit@dgfip.finances.gouv.fr"
    assert text_occurrences(db_session, "dpetit") == ["agent.username", "lms_outbox.payload"]

    audit = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "agent.erase")).one()
    assert audit.target == f"agent:{camille.id}"
    assert audit.details["outbox_neutralised"] == 1

    again = _invoke(runner, "erase", "--external-id", "DGFIP-000123", "--yes")
    assert again.exit_code == 1  # the external id is gone with the identity
    by_sub = _invoke(runner, "erase", "--platform", ISSUER, "--sub", camille.sub, "--yes")
    assert "already erased" in by_sub.output


def test_erase_asks_for_confirmation(runner: FlaskCliRunner, db_session: Session) -> None:
    data = seed(db_session)
    result = _invoke(runner, "erase", "--external-id", "DGFIP-000123", input="n\n")
    assert result.exit_code == 1
    assert "Aborted" in result.output
    db_session.expire_all()
    agent = db_session.get(Agent, data.camille.id)
    assert agent is not None
    assert agent.email == CAMILLE["email"]
