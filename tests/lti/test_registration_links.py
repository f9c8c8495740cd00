"""One-time registration links: created by the tool's admin (CLI or console), used by a platform that
answers like Moodle 4.5 over HTTP; single use, expiry, revocation, host restriction, a second use while the
first is in flight; the link is shown once and never logged nor stored in clear."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from html import unescape

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy import select, update

from bridge.audit.models import AuditEvent
from config.database import utcnow
from lti.models import Platform, RegistrationLink
from tests.admin.conftest import csrf_from
from tests.fakes.lti_registration import FakeRegistrationPlatform
from tests.lti.conftest import Tool
from tests.support.admin import sign_in

LINK_RE = re.compile(r'id="registration-link" type="text" value="([^"]+)"')


@pytest.fixture
def moodle() -> Iterator[FakeRegistrationPlatform]:
    with FakeRegistrationPlatform() as fake:
        yield fake


def host_of(fake: FakeRegistrationPlatform) -> str:
    return fake.url.removeprefix("http://")


def cli(tool: Tool, *args: str) -> tuple[int, str]:
    result = tool.app.test_cli_runner().invoke(args=["lti", *args])
    return result.exit_code, result.output


def cli_link(tool: Tool, *args: str) -> str:
    code, output = cli(tool, "registration-link-create", *args)
    assert code == 0, output
    return output.strip().splitlines()[-1]


def use(link: str, moodle: FakeRegistrationPlatform, **overrides: str) -> requests.Response:
    """What Moodle does with the URL its admin pasted: open it with its configuration URL and token."""
    params = {"openid_configuration": moodle.configuration_url, "registration_token": moodle.token}
    params.update(overrides)
    return requests.get(link, params=params, timeout=30)


def the_link(tool: Tool) -> RegistrationLink:
    with tool.database.session_scope() as session:
        link = session.scalars(select(RegistrationLink)).one()
        session.expunge(link)
        return link


def actions(tool: Tool) -> list[str]:
    """The audited LTI actions (the console's sign-in events left aside)."""
    with tool.database.session_scope() as session:
        stmt = select(AuditEvent.action).where(AuditEvent.action.startswith("lti.")).order_by(AuditEvent.id)
        return list(session.scalars(stmt))


def admin_client(tool: Tool) -> FlaskClient:
    client = tool.app.test_client()
    sign_in(client, tool.database)
    return client


def console_create(client: FlaskClient, **fields: str) -> tuple[int, str]:
    token = csrf_from(client.get("/admin/plateformes").get_data(as_text=True))
    response = client.post(
        "/admin/plateformes/liens", data={"csrf_token": token, "valid_for": "168", **fields}
    )
    assert response.mimetype == "text/html"
    if LINK_RE.search(response.get_data(as_text=True)):
        assert response.headers["Cache-Control"] == "no-store"  # shown once: never kept by a cache
    return response.status_code, unescape(response.get_data(as_text=True))


def console_link(client: FlaskClient, **fields: str) -> str:
    status, html = console_create(client, **fields)
    assert status == 200
    match = LINK_RE.search(html)
    assert match is not None, html[:2000]
    return match.group(1)


# -- the whole path --------------------------------------------------------------------------------


def test_link_from_the_cli_registers_the_platform_once(tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    code, output = cli(tool, "registration-link-create", "--label", "Moodle DGFIP")
    assert code == 0, output
    link = output.strip().splitlines()[-1]
    assert "Il ne sera plus affiché" in output
    assert "utilisable par n'importe quelle plateforme" in output
    assert link.startswith(tool.url + "/lti/register/")
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43  # secrets.token_urlsafe(32)

    response = use(link, moodle)
    assert response.status_code == 200, response.text[:800]
    assert "Outil enregistré" in response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert [s.split()[0] for s in moodle.seen] == ["GET", "POST"]
    with tool.database.session_scope() as session:
        platform = session.scalars(select(Platform)).one()
        assert (platform.issuer, platform.client_id) == (moodle.url, moodle.client_id)
        row = session.scalars(select(RegistrationLink)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()  # the hash only, never the token
        assert row.used_at is not None
        assert (row.platform_id, row.used_issuer, row.claimed_until) == (platform.id, moodle.url, None)
        assert row.label == "Moodle DGFIP"
        assert row.created_by.startswith("cli")

    # Used: a second use is refused before any request.
    seen = list(moodle.seen)
    again = use(link, moodle)
    assert again.status_code == 410
    assert "<code>lti.registration_link_used</code>" in again.text
    assert "un lien ne sert qu&#39;une fois" in again.text
    assert moodle.seen == seen
    assert actions(tool) == [
        "lti.registration_link_created",
        "lti.registration_link_used",
        "lti.platform_registered",
    ]


def test_link_from_the_console_registers_the_platform(tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    client = admin_client(tool)
    status, html = console_create(
        client, label="Moodle Douane", expected_host=host_of(moodle), valid_for="24"
    )
    assert status == 200
    assert "Copiez ce lien maintenant : il ne sera plus jamais affiché." in html
    assert "Gérer les outils" in html
    match = LINK_RE.search(html)
    assert match is not None
    link = match.group(1)
    assert link.startswith(tool.url + "/lti/register/")
    token = link.rsplit("/", 1)[1]

    listing = unescape(client.get("/admin/plateformes").get_data(as_text=True))
    assert token not in listing  # shown once: never again
    assert "Moodle Douane" in listing
    assert f"<code>{host_of(moodle)}</code>" in listing
    assert "gestionnaire" in listing  # the creator's account
    assert "en attente" in listing
    row = the_link(tool)
    assert row.expires_at - row.created_at == timedelta(hours=24)

    assert use(link, moodle).status_code == 200
    listing = unescape(client.get("/admin/plateformes").get_data(as_text=True))
    assert "utilisé" in listing
    assert f'href="#plateforme-{the_link(tool).platform_id}"' in listing
    with tool.database.session_scope() as session:
        created = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "lti.registration_link_created")
        ).one()
        assert created.actor.startswith("admin:")
        assert created.details["expected_host"] == host_of(moodle)


def test_a_failed_registration_leaves_the_link_usable(tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    link = cli_link(tool)
    moodle.mode = "refuse"
    response = use(link, moodle)
    assert response.status_code == 502
    assert "lti.registration_refused" in response.text
    row = the_link(tool)
    assert (row.used_at, row.claimed_until, row.platform_id) == (None, None, None)
    moodle.mode = "ok"
    assert use(link, moodle).status_code == 200
    assert the_link(tool).used_at is not None


# -- refusals: nothing is fetched --------------------------------------------------------------------


def test_unknown_link(tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    cli_link(tool)
    for link in (tool.url + "/lti/register/not-a-link", tool.url + "/lti/register/" + "x" * 300):
        response = use(link, moodle)
        assert response.status_code == 404
        assert "<code>lti.registration_link_unknown</code>" in response.text
    assert moodle.seen == []


def test_expired_link(tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    link = cli_link(tool, "--valid-for", "1h")
    with tool.database.session_scope() as session:
        session.execute(update(RegistrationLink).values(expires_at=utcnow() - timedelta(minutes=1)))
    response = use(link, moodle)
    assert response.status_code == 410
    assert "<code>lti.registration_link_expired</code>" in response.text
    assert "a expiré le" in response.text
    assert moodle.seen == []
    code, output = cli(tool, "registration-link-revoke", str(the_link(tool).id))
    assert code == 1
    assert "a déjà expiré" in output


@pytest.mark.parametrize("where", ["console", "cli"])
def test_revoked_link(tool: Tool, moodle: FakeRegistrationPlatform, where: str) -> None:
    link = cli_link(tool)
    link_id = the_link(tool).id
    if where == "console":
        client = admin_client(tool)
        token = csrf_from(client.get("/admin/plateformes").get_data(as_text=True))
        response = client.post(f"/admin/plateformes/liens/{link_id}/revoquer", data={"csrf_token": token})
        assert response.status_code == 302
        listing = unescape(client.get("/admin/plateformes").get_data(as_text=True))
        assert f"Lien d'enregistrement n° {link_id} révoqué" in listing
        assert "par ligne de commande" in listing  # who created it
        assert "par gestionnaire" in listing  # who revoked it
        again = client.post(f"/admin/plateformes/liens/{link_id}/revoquer", data={"csrf_token": token})
        assert "Ce lien était déjà révoqué." in unescape(
            client.get(again.headers["Location"]).get_data(as_text=True)
        )
        actor_prefix = "admin:"
    else:
        code, output = cli(tool, "registration-link-revoke", str(link_id))
        assert code == 0, output
        assert "révoqué" in output
        code, output = cli(tool, "registration-link-revoke", str(link_id))
        assert (code, "Ce lien était déjà révoqué." in output) == (1, True)
        actor_prefix = "cli"
    response = use(link, moodle)
    assert response.status_code == 410
    assert "<code>lti.registration_link_revoked</code>" in response.text
    assert moodle.seen == []
    row = the_link(tool)
    assert row.revoked_at is not None
    assert (row.revoked_by or "").startswith(actor_prefix)
    assert actions(tool) == ["lti.registration_link_created", "lti.registration_link_revoked"]


def test_link_reserved_to_another_host(tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    link = cli_link(tool, "--host", "moodle.example.gouv.fr")
    response = use(link, moodle)
    assert response.status_code == 403
    assert "<code>lti.registration_link_wrong_host</code>" in response.text
    assert "réservé à la plateforme moodle.example.gouv.fr" in response.text
    assert moodle.seen == []
    assert the_link(tool).used_at is None


def test_link_reserved_to_the_platform_refuses_its_other_name(
    tool: Tool, moodle: FakeRegistrationPlatform
) -> None:
    link = cli_link(tool, "--host", moodle.url)  # a pasted URL is reduced to its host:port
    assert the_link(tool).expected_host == host_of(moodle)
    other_name = moodle.configuration_url.replace("127.0.0.1", "localhost")
    assert use(link, moodle, openid_configuration=other_name).status_code == 403
    assert moodle.seen == []
    assert use(link, moodle).status_code == 200


@pytest.mark.parametrize("mode", ["registration_elsewhere", "config_redirect", "registration_redirect"])
def test_hostile_platform_through_a_link(tool: Tool, moodle: FakeRegistrationPlatform, mode: str) -> None:
    """A link does not lift the same-origin and no-redirect rules; the refused link stays usable."""
    link = cli_link(tool)
    moodle.mode = mode
    response = use(link, moodle)
    assert response.status_code in (400, 502)
    assert not any("/elsewhere" in s for s in moodle.seen)
    assert not any(s.startswith("POST") for s in moodle.seen) or mode == "registration_redirect"
    assert the_link(tool).used_at is None
    with tool.database.session_scope() as session:
        assert session.scalars(select(Platform)).first() is None


def test_a_second_use_while_the_first_is_in_flight(tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    link = cli_link(tool)
    moodle.hold = threading.Event()
    first: list[requests.Response] = []
    thread = threading.Thread(target=lambda: first.append(use(link, moodle)))
    thread.start()
    try:
        assert moodle.holding.wait(timeout=10), "the first registration never reached the platform"
        second = use(link, moodle)
        assert second.status_code == 409
        assert "<code>lti.registration_link_busy</code>" in second.text
        assert the_link(tool).claimed_until is not None
    finally:
        moodle.hold.set()
        thread.join(timeout=30)
    assert first[0].status_code == 200
    assert len(moodle.requests) == 1  # one registration sent to the platform
    assert use(link, moodle).status_code == 410


# -- what the admin types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--valid-for", "31d"], "entre 1 heure et 30 jours"),
        (["--valid-for", "0h"], "entre 1 heure et 30 jours"),
        (["--valid-for", "demain"], "Durée illisible"),
        (["--host", "moodle.example.gouv.fr/moodle"], "Saisissez un nom d'hôte"),
        (["--host", "ftp://moodle.example.gouv.fr"], "n'est pas une adresse http(s) valide"),
    ],
)
def test_cli_explains_bad_values(tool: Tool, args: list[str], message: str) -> None:
    code, output = cli(tool, "registration-link-create", *args)
    assert code == 1
    assert "lien non créé" in output
    assert message in output
    assert actions(tool) == []


def test_cli_lists_the_links(tool: Tool) -> None:
    cli_link(tool, "--label", "Moodle DGFIP", "--host", "moodle.example.gouv.fr")
    cli_link(tool)
    code, output = cli(tool, "registration-link-revoke", "2")
    assert code == 0
    pending = cli(tool, "registration-links")[1]
    assert "en attente" in pending
    assert "hôte=moodle.example.gouv.fr" in pending
    assert "Moodle DGFIP" in pending
    assert "1 lien(s)." in pending
    every = cli(tool, "registration-links", "--all")[1]
    assert "révoqué" in every
    assert "2 lien(s)." in every
    code, output = cli(tool, "registration-link-revoke", "99")
    assert (code, "n'existe pas" in output) == (1, True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"expected_host": "https://"}, "n'est pas une adresse http(s) valide"),
        ({"expected_host": "moodle example"}, "Saisissez un nom d'hôte"),
        ({"label": "x" * 201}, "200 caractères au plus."),
        ({"valid_for": "9999"}, "Le lien n'a pas été créé"),
    ],
)
def test_console_form_explains_bad_values(tool: Tool, fields: dict[str, str], message: str) -> None:
    status, html = console_create(admin_client(tool), **fields)
    assert status == 200
    assert "Le lien n'a pas été créé : corrigez les champs signalés." in html
    assert message in html
    assert LINK_RE.search(html) is None
    with tool.database.session_scope() as session:
        assert session.scalars(select(RegistrationLink)).first() is None


def test_only_full_admins_create_links(tool: Tool) -> None:
    client = tool.app.test_client()
    sign_in(client, tool.database, username="lecteur", role="read")
    token = csrf_from(client.get("/admin/").get_data(as_text=True))
    response = client.post("/admin/plateformes/liens", data={"csrf_token": token, "valid_for": "24"})
    assert response.status_code == 403
    with tool.database.session_scope() as session:
        assert session.scalars(select(RegistrationLink)).first() is None


# -- the token is a secret -----------------------------------------------------------------------------


def test_the_token_is_never_logged_nor_audited(
    tool: Tool, moodle: FakeRegistrationPlatform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    refused = cli_link(tool, "--host", "moodle.example.gouv.fr")
    link = cli_link(tool)
    assert use(refused, moodle).status_code == 403
    assert use(link, moodle, registration_token="forged").status_code == 502
    assert use(link, moodle).status_code == 200
    assert use(link, moodle).status_code == 410
    # Left aside: werkzeug's development server's access lines (production runs gunicorn, whose access
    # log redacts the token: tests/ops/test_access_log.py), and this test's own HTTP client, which plays
    # Moodle opening the link (urllib3's lines about connections to the tool).
    logged = "\n".join(
        r.getMessage()
        for r in caplog.records
        if not r.name.startswith("werkzeug")
        and not (r.name.startswith("urllib3") and tool.url.removeprefix("http://") in r.getMessage())
    )
    assert "/lti/register/<token>" in logged
    with tool.database.session_scope() as session:
        audited = json.dumps([[e.actor, e.target, e.details] for e in session.scalars(select(AuditEvent))])
    for url in (refused, link):
        token = url.rsplit("/", 1)[1]
        assert token not in logged
        assert token not in audited
