"""/api/v1: token authentication and scope, JSON errors, figures, keyset pagination, the CLI, OpenAPI."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from bridge.api import tokens
from bridge.api.models import ApiToken
from tests.campaigns.conftest import Known


def bearer(clear: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {clear}"}


@pytest.fixture
def token(db_session: Session, known: Known) -> str:
    created = tokens.create(db_session, "Power BI")
    db_session.commit()
    return created.clear


@pytest.fixture
def scoped(db_session: Session, known: Known) -> str:
    created = tokens.create(db_session, "Power BI Douane", "DOUANE-T1")
    db_session.commit()
    return created.clear


def test_missing_or_bad_token_is_401(client: FlaskClient, known: Known) -> None:
    response = client.get("/api/v1/campaigns")
    assert response.status_code == 401
    assert response.json == {"error": "missing_token", "message": response.json["message"], "status": 401}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/campaigns", headers=bearer("pnb_not-a-token")).status_code == 401
    assert client.get("/api/v1/campaigns", headers={"Authorization": "Basic abc"}).status_code == 401


def test_revoked_token_is_401(client: FlaskClient, db_session: Session, token: str) -> None:
    assert client.get("/api/v1/campaigns", headers=bearer(token)).status_code == 200
    stored = db_session.query(ApiToken).one()
    tokens.revoke(db_session, stored.id)
    db_session.commit()
    response = client.get("/api/v1/campaigns", headers=bearer(token))
    assert response.status_code == 401
    assert response.json["error"] == "invalid_token"


def test_token_is_stored_hashed_and_records_use(db_session: Session, client: FlaskClient, token: str) -> None:
    stored = db_session.query(ApiToken).one()
    assert stored.token_hash == tokens.digest(token)
    assert token not in stored.token_hash
    client.get("/api/v1/campaigns", headers=bearer(token))
    db_session.refresh(stored)
    assert stored.last_used_at is not None


def test_scope_limits_campaigns(client: FlaskClient, scoped: str) -> None:
    listed = client.get("/api/v1/campaigns", headers=bearer(scoped)).json
    assert [c["code"] for c in listed["data"]] == ["DOUANE-T1"]
    assert client.get("/api/v1/campaigns/DOUANE-T1/funnel", headers=bearer(scoped)).status_code == 200
    for path in ("funnel", "levels", "before-after", "agents", "progress"):
        response = client.get(f"/api/v1/campaigns/DGFIP-T1/{path}", headers=bearer(scoped))
        assert response.status_code == 403
        assert response.json["error"] == "out_of_scope"
    # A scoped token learns nothing about other codes, existing or not.
    assert client.get("/api/v1/campaigns/NOPE/funnel", headers=bearer(scoped)).status_code == 403


def test_unknown_campaign_and_bad_parameters(client: FlaskClient, token: str) -> None:
    assert client.get("/api/v1/campaigns/NOPE/funnel", headers=bearer(token)).status_code == 404
    for query in ("from=13/03/2026", "group=city", "limit=0", "limit=1001", "cursor=%%%"):
        path = "agents" if "limit" in query or "cursor" in query else "funnel"
        response = client.get(f"/api/v1/campaigns/DGFIP-T1/{path}?{query}", headers=bearer(token))
        assert response.status_code == 400, query
        assert response.json["error"] == "invalid_parameter"


def test_campaigns_and_funnel(client: FlaskClient, token: str) -> None:
    listed = client.get("/api/v1/campaigns", headers=bearer(token)).json["data"]
    dgfip = next(c for c in listed if c["code"] == "DGFIP-T1")
    assert (dgfip["members"], dgfip["directorate"], dgfip["level_cap"]) == (5, "DGFIP", 5)
    funnel = client.get("/api/v1/campaigns/DGFIP-T1/funnel", headers=bearer(token)).json
    assert funnel["total"] == {
        "targeted": 5,
        "launched": 4,
        "assessed": 3,
        "accepted": 2,
        "enrolled": 1,
        "completed": 1,
    }
    assert {g["directorate"]: g["counts"]["targeted"] for g in funnel["groups"]} == {"DGFIP": 4, "DOUANE": 1}
    units = client.get(
        "/api/v1/campaigns/DGFIP-T1/funnel?group=unit&directorate=DGFIP", headers=bearer(token)
    ).json
    assert {g["unit"] for g in units["groups"]} == {"SIE Lyon", "Trésorerie Dijon"}
    period = client.get(
        "/api/v1/campaigns/DGFIP-T1/funnel?from=2026-03-05&to=2026-03-09", headers=bearer(token)
    ).json
    assert period["total"]["launched"] == 2
    weeks = client.get("/api/v1/campaigns/DGFIP-T1/progress?period=week", headers=bearer(token)).json
    assert [p["date"] for p in weeks["data"]] == ["2026-03-02", "2026-03-09", "2026-03-16"]


def test_levels_and_before_after(client: FlaskClient, token: str) -> None:
    levels = client.get("/api/v1/campaigns/DGFIP-T1/levels", headers=bearer(token)).json
    assert levels["assessed"] == 3
    first = levels["competences"][0]
    assert (first["code"], first["counts"]) == ("1.1", [0, 0, 1, 1, 1, 0])
    assert first["title"]["fr"]
    gains = client.get("/api/v1/campaigns/DGFIP-T1/before-after", headers=bearer(token)).json
    assert gains["agents"] == 2
    row = next(c for c in gains["competences"] if c["code"] == "1.1")
    assert (row["mean_before"], row["mean_after"], row["delta"], row["improved_share"]) == (
        3.0,
        3.5,
        0.5,
        0.5,
    )


def test_agents_are_pseudonymous_and_paginated(client: FlaskClient, token: str, known: Known) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/api/v1/campaigns/DGFIP-T1/agents?{query}", headers=bearer(token)).json
        pages += 1
        seen += [row["agent"] for row in page["data"]]
        for row in page["data"]:
            assert set(row) >= {"agent", "directorate", "unit", "targeted_at", "levels", "recommendations"}
            assert "email" not in row
            assert "external_id" not in row
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    assert all(len(s) == 24 for s in seen)
    assert str(known.agents["a1"].id) not in seen
    body = client.get("/api/v1/campaigns/DGFIP-T1/agents?limit=1000", headers=bearer(token)).get_data(
        as_text=True
    )
    assert "example.gouv.fr" not in body
    assert "X-a1" not in body


def test_openapi_document(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert {"/campaigns", "/campaigns/{code}/funnel", "/campaigns/{code}/agents"} <= set(document["paths"])


def test_token_cli(runner: FlaskCliRunner, known: Known, client: FlaskClient) -> None:
    created = runner.invoke(
        args=["bridge", "api-token", "create", "--name", "Power BI DGFIP", "--campaign", "DGFIP-T1"]
    )
    assert created.exit_code == 0, created.output
    clear = created.output.strip().splitlines()[-1]
    assert clear.startswith("pnb_")
    assert client.get("/api/v1/campaigns/DGFIP-T1/levels", headers=bearer(clear)).status_code == 200
    listing = runner.invoke(args=["bridge", "api-token", "list"])
    assert "Power BI DGFIP" in listing.output
    assert "DGFIP-T1" in listing.output
    assert clear not in listing.output
    token_id = listing.output.split("\t")[0]
    assert runner.invoke(args=["bridge", "api-token", "revoke", token_id]).exit_code == 0
    assert client.get("/api/v1/campaigns", headers=bearer(clear)).status_code == 401
    bad = runner.invoke(args=["bridge", "api-token", "create", "--name", "x", "--campaign", "NOPE"])
    assert bad.exit_code == 1
    assert "no campaign" in bad.output
