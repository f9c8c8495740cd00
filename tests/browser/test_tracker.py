"""The campaign tracker in a real browser: charts with their tables, keyboard access to the exports."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.campaigns.conftest import directorates, known  # noqa: F401 - fixtures used below
from tests.support import admin as admin_support
from tests.support.live_server import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("known")]


def log_in_as_admin(page: Any, app: Flask, live_server: LiveServer) -> None:
    cookie = admin_support.session_cookie(app, app.extensions["bridge.db"])
    page.context.add_cookies(
        [{"name": app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": live_server.url}]
    )


def test_dashboard_renders_charts_with_equivalent_tables(
    page: Any, app: Flask, live_server: LiveServer
) -> None:
    log_in_as_admin(page, app, live_server)
    page.goto(live_server.url + "/admin/campagnes/DGFIP-T1/suivi")
    assert page.locator("h1").inner_text() == "Suivi de la campagne « DGFIP test »"
    charts = page.locator("svg[role=img]")
    assert charts.count() == 4
    for index in range(charts.count()):
        for ref in charts.nth(index).get_attribute("aria-labelledby").split():
            assert page.locator(f"#{ref}").count() == 1  # the title and description exist
    captions = page.locator("table caption").all_inner_texts()
    assert any("Entonnoir par direction" in c for c in captions)
    assert any("Nombre d'agents par niveau" in c for c in captions)
    assert any("première et à la dernière évaluation" in c for c in captions)
    assert page.locator("th[scope=row]", has_text="DGFIP").count() >= 1
    # Drill down to the units of a directorate.
    page.get_by_role("link", name="DGFIP", exact=True).first.click()
    page.wait_for_load_state()
    assert page.get_by_text("Entonnoir par service (DGFIP)").count() == 1
    assert page.get_by_role("link", name="Trésorerie Dijon").count() == 1


def test_export_links_are_reachable_with_the_keyboard(page: Any, app: Flask, live_server: LiveServer) -> None:
    log_in_as_admin(page, app, live_server)
    page.goto(live_server.url + "/admin/campagnes/DGFIP-T1/suivi")
    target = "Télécharger en Excel (XLSX)"
    for _ in range(300):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == target:
            break
    else:
        pytest.fail("the XLSX export link is not reachable with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.startswith("pacnum-DGFIP-T1-")
    assert download.value.suggested_filename.endswith(".xlsx")
