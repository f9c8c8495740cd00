"""The home page in a real browser: French, styled by the DSFR, keyboard reachable."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.live_server import LiveServer

pytestmark = pytest.mark.browser


def test_home_page_renders_with_dsfr(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Bienvenue sur PACNum"
    # The DSFR stylesheet is applied: the header gets its design-system layout.
    display = page.evaluate("getComputedStyle(document.querySelector('.fr-header')).display")
    assert display != "inline"
    # First Tab reaches the skip link, which leads to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#contenu"


def test_switch_to_english(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Welcome to PACNum"
    assert page.locator("html").get_attribute("lang") == "en"


def test_small_screens_reach_the_language_switch_through_the_menu(page: Any, live_server: LiveServer) -> None:
    page.set_viewport_size({"width": 360, "height": 700})
    page.goto(live_server.url + "/")
    assert not page.get_by_role("link", name="English").first.is_visible()
    page.get_by_role("button", name="Menu").click()
    english = page.locator("#menu-principal").get_by_role("link", name="English")
    english.wait_for()
    english.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Welcome to PACNum"
