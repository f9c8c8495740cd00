"""The demo LMS: the whole flow in development, impossible in production."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urljoin

import pytest
import requests
from sqlalchemy import func, select

from bridge.app import create_app
from config.crypto import SecretBox
from config.database import Database
from config.settings import Settings
from lti.demo.seed import seed_demo_platform
from lti.models import Platform
from lti.services.client import ScoreToSend, send_score
from tests.fakes.lti_platform import parse_form
from tests.lti.conftest import serve_tool
from tests.support import databases


@pytest.mark.parametrize("path", ["/demo-lms/", "/demo-lms/mod/lti/certs.php", "/demo-lms/mod/lti/auth.php"])
def test_demo_lms_does_not_exist_in_production(
    settings_factory: Callable[..., Settings], database: Database, path: str
) -> None:
    settings = settings_factory(
        env="production", demo_platform=True, base_url="https://pacnum.example.gouv.fr"
    )
    client = create_app(settings, database=database).test_client()
    assert client.get(path).status_code == 404
    assert "/demo-lms/" not in client.get("/").get_data(as_text=True)


def test_demo_lms_can_be_switched_off_in_development(
    settings_factory: Callable[..., Settings], database: Database
) -> None:
    client = create_app(
        settings_factory(env="development", demo_platform=False), database=database
    ).test_client()
    assert client.get("/demo-lms/").status_code == 404


def test_demo_seeder_is_idempotent(settings_factory: Callable[..., Settings], database: Database) -> None:
    settings = settings_factory(env="development")
    for _ in range(2):
        with database.session_scope() as session:
            summary = seed_demo_platform(session, settings)
    assert "already registered" in summary
    with database.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Platform)) == 1
    databases.clean_tables(database)


def test_demo_launch_and_gradebook(settings_factory: Callable[..., Settings], database: Database) -> None:
    with serve_tool(settings_factory, database, env="development") as server, requests.Session() as http:
        assert "/demo-lms/" in http.get(server.url + "/", timeout=10).text  # offered on the home page
        page = http.get(server.url + "/demo-lms/", timeout=10)
        assert page.status_code == 200
        for name in ("Camille Martin", "Karim Benali", "Sophie Leroy", "Admin PACNum"):
            assert f"Lancer en tant que {name}" in page.text
        action, fields = parse_form(page.text)
        assert action == server.url + "/lti/login"
        landing = http.post(action, data=fields, timeout=10)  # login -> demo auth -> auto-post
        action, fields = parse_form(landing.text)
        learner = http.post(urljoin(landing.url, action), data=fields, timeout=10)
        assert learner.status_code == 200, learner.text[:500]
        assert "Bonjour Camille" in learner.text

        settings = server.app.extensions["bridge.settings"]
        with database.session_scope() as session:
            platform_id = session.scalars(select(Platform.id)).one()
            send_score(
                session,
                SecretBox(settings.encryption_keys()),
                ScoreToSend(
                    platform_id,
                    "21",
                    64,
                    100,
                    lineitem_url=server.url
                    + "/demo-lms/mod/lti/services.php/2/lineitems/1/lineitem?type_id=1",
                ),
            )
        gradebook = http.get(server.url + "/demo-lms/", timeout=10).text
        assert "64 / 100" in gradebook
    databases.clean_tables(database)
