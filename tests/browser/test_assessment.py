"""The self-assessment in a real browser, with the keyboard only: launch, start, answer, resume."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.assessment.store import DEFAULT_BANK_DIR, import_directory
from config.framework import load_framework
from tests.fakes.lti_platform import TestPlatform
from tests.lti.conftest import Tool, platform, tool  # noqa: F401 - the LTI fixtures, shared

pytestmark = pytest.mark.browser


def tab_to(page: Any, condition: str, limit: int = 60) -> None:
    """Press Tab until ``condition`` (JS on ``el`` = document.activeElement) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!({condition}); }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {condition}")


def test_answer_questions_with_the_keyboard(page: Any, tool: Tool, platform: TestPlatform) -> None:  # noqa: F811
    with tool.database.session_scope() as session:
        import_directory(session, DEFAULT_BANK_DIR, load_framework())
    page.goto(f"{platform.server_url}/launch?sub=4")
    page.wait_for_url("**/parcours?*")
    assert page.locator("h1").inner_text() == "Bonjour Agent"

    tab_to(page, "el.textContent.includes('Commencer mon auto-évaluation')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/parcours/evaluation?*")
    tab_to(page, "el.type === 'submit' && el.textContent.includes(\"Commencer l'évaluation\")")
    page.keyboard.press("Enter")
    page.wait_for_url("**/parcours/evaluation/question?*")

    for number in (1, 2, 3):
        assert f"Question {number} sur environ" in page.locator(".bridge-progress").inner_text()
        kind_single = page.locator("input[type=radio][name=choice]").count() > 0
        if kind_single and number < 3:
            # Reach the radio group, pick an option with the arrow keys, then submit.
            tab_to(page, "el.type === 'radio'")
            page.keyboard.press("ArrowDown")
            assert page.locator("input[type=radio]:checked").count() == 1
            tab_to(page, "el.value === 'answer'")
        else:
            tab_to(page, "el.value === 'dont_know'")
        page.keyboard.press("Enter")
        page.locator(".bridge-progress", has_text=f"Question {number + 1} sur environ").wait_for()

    # The legend of the question is the page's first heading, for screen readers.
    assert page.locator("legend h1").count() == 1
    assert "Question 4 sur environ" in page.locator(".bridge-progress").inner_text()
