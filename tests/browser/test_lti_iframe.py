"""The launch inside an LMS iframe, in headless Chromium with third-party cookies blocked.

The "LMS" course page is on http://localhost:<port>; the tool and the test platform's protocol endpoints
are on http://127.0.0.1:<port> (another site). The test first proves that cookies are really blocked in
the iframe, then runs the launch there and navigates on: the signed token carries the session.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from config.database import Database
from config.settings import Settings
from tests.browser.conftest import CHROMIUM_FLAGS
from tests.fakes.lti_platform import TestPlatform
from tests.lti.conftest import register, serve_tool
from tests.support import databases
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.browser

# Chromium's switch for testing third-party cookie blocking (the 3PCD "phase-out").
BLOCK_THIRD_PARTY_COOKIES = "--test-third-party-cookie-phaseout"


@pytest.fixture(scope="module")
def blocking_browser(browser: Any) -> Iterator[Any]:
    """A second Chromium from the same Playwright driver, with third-party cookies blocked."""
    blocking = browser.browser_type.launch(
        executable_path=shutil.which("chromium") or shutil.which("chromium-browser"),
        headless=True,
        args=[*CHROMIUM_FLAGS, BLOCK_THIRD_PARTY_COOKIES],
    )
    yield blocking
    blocking.close()


@pytest.fixture
def lms(
    settings_factory: Callable[..., Settings], database: Database
) -> Iterator[tuple[LiveServer, TestPlatform]]:
    with (
        serve_tool(settings_factory, database) as tool,
        TestPlatform(tool.url, auth_host="localhost") as platform,
    ):
        register(database, platform)
        yield tool, platform
    databases.clean_tables(database)


def _cookie_names(context: Any, host: str) -> set[str]:
    return {cookie["name"] for cookie in context.cookies() if cookie["domain"].lstrip(".") == host}


def test_third_party_cookies_are_really_blocked(
    blocking_browser: Any, lms: tuple[LiveServer, TestPlatform]
) -> None:
    _tool, platform = lms
    context = blocking_browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_content(f'<iframe src="{platform.server_url}/probe-cookie"></iframe>')
    page.goto(f"http://localhost:{platform.port}/course?sub=4")  # any cross-site page
    page.evaluate(
        "src => new Promise(done => { const f = document.createElement('iframe'); f.onload = done;"
        " f.src = src; document.body.appendChild(f); })",
        f"{platform.server_url}/probe-cookie",
    )
    assert "probe_third_party" not in _cookie_names(context, "127.0.0.1")
    # The same cookie set by a first-party page is accepted: the iframe refusal is third-party blocking.
    page.goto(f"{platform.server_url}/probe-cookie")
    assert "probe_third_party" in _cookie_names(context, "127.0.0.1")
    context.close()


def test_launch_inside_a_cross_site_iframe(
    blocking_browser: Any, lms: tuple[LiveServer, TestPlatform]
) -> None:
    _tool, platform = lms
    context = blocking_browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"http://localhost:{platform.port}/course?sub=4")
    frame = page.frame_locator("#tool")
    frame.locator("h1").filter(has_text="Bonjour Agent").wait_for()
    assert "pacnum_session" not in _cookie_names(context, "127.0.0.1")  # the tool's cookie was refused
    frame.locator("#cookie-notice").wait_for(state="visible")  # the agent is told, and can open a window
    new_window = frame.get_by_role("link", name="Ouvrir PACNum dans une nouvelle fenêtre")
    assert "t=" in (new_window.get_attribute("href") or "")

    # Navigate on inside the iframe: the token in the links keeps the session without any cookie.
    frame.get_by_role("link", name="English").click()
    frame.locator('html[lang="en"] h1').filter(has_text="Agent").wait_for()
    context.close()


def test_launch_with_platform_storage(blocking_browser: Any, lms: tuple[LiveServer, TestPlatform]) -> None:
    _tool, platform = lms
    platform.storage_target = "lti_storage_frame"
    context = blocking_browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15000)
    requests_seen: list[str] = []
    page.on("request", lambda request: requests_seen.append(request.url))
    page.goto(f"http://localhost:{platform.port}/course?sub=4")
    page.frame_locator("#tool").locator("h1").filter(has_text="Bonjour Agent").wait_for()
    assert any(url.endswith("/lti/launch/confirm") for url in requests_seen)  # binding checked
    assert not any("/lti/login?" in url for url in requests_seen)  # no fallback to a login without storage
    context.close()
