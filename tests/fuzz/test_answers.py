"""Hostile answers on a real sitting: any form fields on the question page. Never a 500, never a
traceback, and a refused answer records nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from bridge.assessment.models import Assessment
from bridge.assessment.runtime import AssessmentRuntime
from bridge.assessment.store import DEFAULT_BANK_DIR, import_directory
from config.framework import load_framework
from tests.fuzz.conftest import FuzzTool
from tests.fuzz.strategies import any_text
from tests.fuzz.support import THOROUGH, check_answer, fuzz_settings, row_counts

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(0 if THOROUGH else 600)]


@dataclass
class Sitting:
    tool: FuzzTool
    token: str

    def current_item(self) -> tuple[str, list[str]]:
        """The id of the question on screen and its option ids ("" when the sitting is over)."""
        with self.tool.database.session_scope() as session:
            assessment = session.scalars(select(Assessment).where(Assessment.status == "in_progress")).first()
            if assessment is None or assessment.current_item_id is None:
                return "", []
            item = AssessmentRuntime().engine(session).items[assessment.current_item_id]
            return item.id, [option.id for option in item.options]


@pytest.fixture
def sitting(fuzz_tool: FuzzTool) -> Sitting:
    with fuzz_tool.database.session_scope() as session:
        import_directory(session, DEFAULT_BANK_DIR, load_framework())
    token = fuzz_tool.launch("4")
    started = fuzz_tool.client.post("/parcours/evaluation/commencer", data={"t": token})
    assert started.status_code == 303, started.get_data(as_text=True)[:400]
    return Sitting(fuzz_tool, token)


@fuzz_settings
@given(data=st.data())
def test_answer_form(sitting: Sitting, data: st.DataObject) -> None:
    tool = sitting.tool
    item_id, option_ids = sitting.current_item()
    fields: list[tuple[str, str]] = []
    if data.draw(st.integers(0, 9)):
        fields.append(("t", sitting.token))
    else:
        fields.append(("t", data.draw(any_text)))
    fields.append(("item", data.draw(st.one_of(st.just(item_id), any_text))))
    fields.append(("action", data.draw(st.one_of(st.sampled_from(["answer", "dont_know"]), any_text))))
    # Draws never depend on the question on screen (hypothesis replays them): options are picked by index.
    options = option_ids or ["a"]
    for pick in data.draw(st.lists(st.one_of(st.integers(0, 7), any_text), max_size=4)):
        fields.append(("choice", options[pick % len(options)] if isinstance(pick, int) else pick))
    if data.draw(st.booleans()):
        fields.append(("text", data.draw(any_text)))
    positions = st.one_of(st.integers(-3, 12).map(str), any_text)
    for index, value in data.draw(st.lists(st.tuples(st.integers(0, 7), positions), max_size=6)):
        fields.append((f"position-{options[index % len(options)]}", value))
    fields.append(("shown_at", data.draw(st.one_of(st.integers().map(str), any_text))))
    fields += data.draw(st.lists(st.tuples(any_text, any_text), max_size=3))
    with tool.database.session_scope() as session:
        before = row_counts(session)
    response = tool.client.post("/parcours/evaluation/question", data=MultiDict(fields))
    check_answer(response.status_code, response.get_data(as_text=True))
    if response.status_code >= 400:
        with tool.database.session_scope() as session:
            assert row_counts(session) == before
