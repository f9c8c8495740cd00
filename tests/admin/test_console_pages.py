"""Console pages: home figures, platforms and deployments, tool keys, audit log, admin accounts."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from bridge.assessment.models import Assessment, ScoreOutbox
from bridge.audit.models import AuditEvent
from bridge.audit.operations import record
from bridge.auth.models import AdminUser
from bridge.campaigns.models import Campaign
from bridge.console.dashboard import console_figures
from bridge.console.operations import is_published, rotate_tool_key
from config.crypto import SecretBox
from config.database import Database, utcnow
from lti.models import Deployment, ToolKey
from sync.models import SyncRun
from tests.admin.conftest import Accounts, LtiSession, add_agent, add_deployment, add_platform, csrf_of
from tests.conftest import TEST_ENCRYPTION_KEY


def text(response: TestResponse) -> str:
    """The page's text with HTML entities decoded (translated strings keep their apostrophes raw)."""
    return unescape(response.get_data(as_text=True))


def _events(database: Database, action: str) -> list[AuditEvent]:
    with database.session_scope() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# -- home ----------------------------------------------------------------------------------------


def test_home_shows_figures_and_the_sections_that_exist(
    admin_client: FlaskClient, database: Database
) -> None:
    with database.session_scope() as session:
        platform = add_platform(session)
        add_deployment(session, platform, "1", active=True)
        add_deployment(session, platform, "2")
        add_deployment(session, platform, "3")
        session.add(Campaign(code="DGFIP-1", name="Vague DGFIP", lms_context_ids=["c1"]))
        session.add(SyncRun(job="pull_completions", status="partial"))
    html = text(admin_client.get("/admin/"))
    assert "Déploiements en attente d'approbation" in html
    assert '<p class="fr-card__desc bridge-figure">2</p>' in html  # two pending deployments
    assert "partielle" in html
    assert "Vague DGFIP" in html
    # Sections of this package link to their pages; sections of blueprints not in this app are absent.
    assert 'href="/admin/plateformes"' in html
    assert "Journal d'audit" in html
    assert "sync_admin.index" in admin_client.application.view_functions
    assert 'href="/admin/synchronisation"' in html
    assert 'href="/admin/catalogue/"' in html


def test_home_counts_pending_and_failed_ags_scores(admin_client: FlaskClient, database: Database) -> None:
    with database.session_scope() as session:
        platform = add_platform(session)
        agent = add_agent(session, platform)
        for n, status in enumerate(["pending", "pending", "pending", "failed", "sent"]):
            assessment = Assessment(agent_id=agent.id, seed=n, status="finished")
            session.add(assessment)
            session.flush()
            session.add(
                ScoreOutbox(
                    assessment_id=assessment.id, platform_id=platform.id, user_sub=agent.sub or "",
                    score_given=3, score_maximum=8, status=status,
                )
            )  # fmt: skip
        figures = console_figures(session)
    assert (figures.ags_pending, figures.ags_failed) == (3, 1)
    html = text(admin_client.get("/admin/"))
    assert "Notes en échec (AGS)" in html
    assert "Elles seront renvoyées automatiquement" in html


def test_read_only_home_lists_only_their_campaigns(
    app: Flask, database: Database, lti_client: LtiSession
) -> None:
    with database.session_scope() as session:
        platform_id = add_platform(session).id
        session.add(Campaign(code="A", name="Campagne de mon cours", lms_context_ids=["course-12"]))
        session.add(Campaign(code="B", name="Campagne d'un autre cours", lms_context_ids=["course-77"]))
    html = text(lti_client("read", platform_id, contexts=["course-12"]).get("/admin/"))
    assert "Campagne de mon cours" in html
    assert "Campagne d'un autre cours" not in html
    assert "Plateformes LTI" not in html  # no configuration section for read-only principals
    assert "Déploiements en attente" not in html


# -- platforms and deployments -------------------------------------------------------------------


def test_platforms_page_lists_platforms_deployments_and_tool_urls(
    admin_client: FlaskClient, database: Database
) -> None:
    with database.session_scope() as session:
        platform = add_platform(session)
        add_deployment(session, platform, "dep-active", active=True)
        add_deployment(session, platform, "dep-pending")
    html = text(admin_client.get("/admin/plateformes"))
    assert "https://moodle.example.gouv.fr" in html
    assert "client-moodle-du-ministère" in html
    assert "par enregistrement dynamique" in html
    assert "dep-active" in html
    assert "en attente d'approbation" in html
    for path in ("/lti/login", "/lti/launch", "/lti/jwks", "/lti/register"):
        assert f'value="http://localhost{path}"' in html
    assert 'data-copy-target="tool-url-jwks"' in html
    assert "console-copy.js" in html


def test_approve_and_deactivate_a_deployment(admin_client: FlaskClient, database: Database) -> None:
    with database.session_scope() as session:
        platform = add_platform(session)
        deployment_id = add_deployment(session, platform, "dep-7").id
    token = csrf_of(admin_client, "/admin/plateformes")
    response = admin_client.post(
        f"/admin/plateformes/deploiements/{deployment_id}/approuver", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert "approuvé" in text(admin_client.get("/admin/plateformes"))
    with database.session_scope() as session:
        deployment = session.get(Deployment, deployment_id)
        assert deployment is not None
        assert deployment.active
        assert deployment.approved_at is not None
    (event,) = _events(database, "lti.deployment.approve")
    assert event.target == f"deployment:{deployment_id}"
    assert event.actor.startswith("admin:")
    assert event.details["deployment_id"] == "dep-7"

    admin_client.post(
        f"/admin/plateformes/deploiements/{deployment_id}/desactiver", data={"csrf_token": token}
    )
    with database.session_scope() as session:
        deployment = session.get(Deployment, deployment_id)
        assert deployment is not None
        assert not deployment.active
    assert len(_events(database, "lti.deployment.deactivate")) == 1
    assert "désactivé" in text(admin_client.get("/admin/plateformes"))


def test_approving_a_missing_deployment_is_a_clear_404(admin_client: FlaskClient) -> None:
    token = csrf_of(admin_client, "/admin/plateformes")
    response = admin_client.post("/admin/plateformes/deploiements/999/approuver", data={"csrf_token": token})
    assert response.status_code == 404
    assert "Ce déploiement n'existe pas ou plus." in text(response)


# -- tool keys -----------------------------------------------------------------------------------


def test_rotation_keeps_the_old_key_listed_and_published_until_publish_until(
    admin_client: FlaskClient, database: Database
) -> None:
    box = SecretBox([TEST_ENCRYPTION_KEY])
    with database.session_scope() as session:
        first = rotate_tool_key(session, box, actor="test")
        first_kid = first.kid
    token = csrf_of(admin_client, "/admin/cles")
    assert admin_client.post("/admin/cles/rotation", data={"csrf_token": token}).status_code == 302
    with database.session_scope() as session:
        keys = {k.kid: k for k in session.scalars(select(ToolKey))}
        (active,) = [k for k in keys.values() if k.active]
        old = keys[first_kid]
        assert active.kid != first_kid
        assert not old.active
        assert old.retired_at is not None
        assert old.publish_until is not None
        assert old.publish_until - old.retired_at == timedelta(days=7)
        assert is_published(old, utcnow())
        assert not is_published(old, old.publish_until + timedelta(seconds=1))
        # The private key is stored encrypted, as PKCS#8 PEM, and never shown.
        pem = box.decrypt(active.private_key_encrypted)
        assert pem.startswith("-----BEGIN PRIVATE KEY-----")
        assert active.public_jwk["kid"] == active.kid
        assert active.public_jwk["alg"] == "RS256"
        assert "d" not in active.public_jwk
    html = text(admin_client.get("/admin/cles"))
    assert first_kid in html
    assert active.kid in html
    assert "retirée, encore publiée" in html
    assert "PRIVATE KEY" not in html
    assert active.private_key_encrypted not in html
    (event,) = [e for e in _events(database, "lti.key.rotate") if e.actor != "test"]
    assert event.details["retired"] == [first_kid]


def test_keys_past_their_grace_are_listed_as_no_longer_published(
    admin_client: FlaskClient, database: Database
) -> None:
    box = SecretBox([TEST_ENCRYPTION_KEY])
    with database.session_scope() as session:
        old_kid = rotate_tool_key(session, box, actor="test").kid
        rotate_tool_key(session, box, actor="test")
        old = session.scalar(select(ToolKey).where(ToolKey.kid == old_kid))
        assert old is not None
        old.publish_until = utcnow() - timedelta(minutes=1)
    html = text(admin_client.get("/admin/cles"))
    assert old_kid in html
    assert "retirée, plus publiée" in html


# -- audit log -----------------------------------------------------------------------------------


def test_audit_log_filters_and_pages(admin_client: FlaskClient, database: Database) -> None:
    with database.session_scope() as session:
        for n in range(60):
            record(session, "lti:2:815", "lti.deployment.approve", f"deployment:{n}")
        record(session, "lti:20:1", "lti.key.rotate", "tool_key:1")
    html = text(admin_client.get("/admin/journal"))
    assert "Événements trouvés : 63," in html  # 61 + the creation and the login of the admin client
    assert "page 1 sur 2" in html
    assert "deployment:59" in html  # newest first
    assert "deployment:0<" not in html
    page2 = text(admin_client.get("/admin/journal?page=2"))
    assert "deployment:0<" in page2
    by_action = text(admin_client.get("/admin/journal?action=lti.key.rotate"))
    assert "Événements trouvés : 1," in by_action
    by_actor = text(admin_client.get("/admin/journal?acteur=lti:2"))
    assert "Événements trouvés : 60," in by_actor  # lti:2 matches lti:2:815, not lti:20:1
    assert "lti.key.rotate</code>" not in by_actor
    none = text(admin_client.get("/admin/journal?acteur=%25"))
    assert "Aucun événement ne correspond" in none
    assert admin_client.get("/admin/journal?page=abc").status_code == 200


def test_audit_log_shows_usernames_of_local_accounts(admin_client: FlaskClient) -> None:
    html = text(admin_client.get("/admin/journal?action=admin.login"))
    assert "(alice)" in html


# -- admin accounts ------------------------------------------------------------------------------


def test_create_an_account_from_the_console(
    admin_client: FlaskClient, accounts: Accounts, database: Database
) -> None:
    token = csrf_of(admin_client, "/admin/comptes/nouveau")
    form = {
        "csrf_token": token,
        "username": "Bob",
        "display_name": "Bob L.",
        "role": "read",
        "password": "Another-password-7",
        "confirm": "Another-password-7",
    }
    response = admin_client.post("/admin/comptes/nouveau", data=form)
    assert response.status_code == 302
    assert accounts.get("bob").role == "read"
    assert "bob" in text(admin_client.get("/admin/comptes"))
    (event,) = [e for e in _events(database, "admin.create") if e.actor != "test"]
    assert event.actor.startswith("admin:")


def test_account_form_errors_are_explained(admin_client: FlaskClient, accounts: Accounts) -> None:
    token = csrf_of(admin_client, "/admin/comptes/nouveau")
    form = {"csrf_token": token, "username": "alice", "role": "full", "password": "short", "confirm": "other"}
    html = text(admin_client.post("/admin/comptes/nouveau", data=form))
    assert "Le compte n'a pas été créé" in html
    assert "au moins 12 caractères" in html
    assert "Les deux mots de passe ne sont pas identiques." in html
    form.update(password="Good-password-12", confirm="Good-password-12")
    html = text(admin_client.post("/admin/comptes/nouveau", data=form))
    assert "Cet identifiant est déjà utilisé" in html


def test_deactivate_unlock_and_reactivate_accounts(
    admin_client: FlaskClient, accounts: Accounts, database: Database
) -> None:
    bob = accounts.create("bob")
    with database.session_scope() as session:
        stored = session.get(AdminUser, bob.id)
        assert stored is not None
        stored.failed_attempts, stored.locked_until = 5, utcnow() + timedelta(minutes=10)
    page = text(admin_client.get("/admin/comptes"))
    assert "bloqué jusqu'au" in page
    token = csrf_of(admin_client, "/admin/comptes")
    admin_client.post(f"/admin/comptes/{bob.id}/debloquer", data={"csrf_token": token})
    assert accounts.get("bob").locked_until is None
    admin_client.post(f"/admin/comptes/{bob.id}/desactiver", data={"csrf_token": token})
    assert not accounts.get("bob").active
    admin_client.post(f"/admin/comptes/{bob.id}/activer", data={"csrf_token": token})
    assert accounts.get("bob").active
    actions = [e.action for e in _events(database, "admin.unlock") + _events(database, "admin.deactivate")]
    assert actions == ["admin.unlock", "admin.deactivate"]


def test_an_admin_cannot_deactivate_their_own_account(admin_client: FlaskClient, accounts: Accounts) -> None:
    alice = accounts.get("alice")
    accounts.create("bob")
    token = csrf_of(admin_client, "/admin/comptes")
    admin_client.post(f"/admin/comptes/{alice.id}/desactiver", data={"csrf_token": token})
    assert accounts.get("alice").active
    assert "propre compte" in text(admin_client.get("/admin/comptes"))
