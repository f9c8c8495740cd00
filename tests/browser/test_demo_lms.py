"""The demo LMS in a real browser (development mode): launch as a demo agent, see the tool in the frame."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from config.database import Database
from config.settings import Settings
from tests.lti.conftest import serve_tool
from tests.support import databases
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def dev_server(settings_factory: Callable[..., Settings], database: Database) -> Iterator[LiveServer]:
    with serve_tool(settings_factory, database, env="development") as server:
        yield server
    databases.clean_tables(database)


def test_demo_lms_launches_as_a_demo_agent(page: Any, dev_server: LiveServer) -> None:
    page.goto(dev_server.url + "/demo-lms/")
    assert page.locator("h1").inner_text().startswith("PACNum")
    page.get_by_role("button", name="Lancer en tant que Camille Martin").click()
    frame = page.frame_locator("iframe[name=pacnum-frame]")
    frame.locator("h1").filter(has_text="Bonjour Camille").wait_for()

    page.get_by_role("button", name="Lancer en tant que Admin PACNum").click()
    frame.locator("h1").filter(has_text="Bonjour Admin").wait_for()
    assert frame.get_by_text("Déploiements en attente d'approbation").is_visible()


def test_demo_deep_linking(page: Any, dev_server: LiveServer) -> None:
    page.goto(dev_server.url + "/demo-lms/")
    page.get_by_role(
        "button", name="Ajouter l'activité à un cours (Deep Linking) en tant que Sophie Leroy"
    ).click()
    frame = page.frame_locator("iframe[name=pacnum-frame]")
    frame.get_by_role("button", name="Ajouter à mon cours").click()
    frame.locator("#deep-link-done").wait_for()
    assert "Auto-évaluation des compétences numériques" in frame.locator("#deep-link-done").inner_text()
