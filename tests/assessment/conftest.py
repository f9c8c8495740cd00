"""Fixtures for sittings: the shipped bank imported, an agent, a runtime."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.runtime import AssessmentRuntime
from bridge.assessment.store import DEFAULT_BANK_DIR, import_directory
from config.framework import load_framework
from tests.lti.conftest import http, platform, tool  # noqa: F401 - the LTI fixtures, shared


@pytest.fixture(scope="session")
def framework():  # type: ignore[no-untyped-def]
    return load_framework()


@pytest.fixture
def runtime(framework) -> AssessmentRuntime:  # type: ignore[no-untyped-def]
    return AssessmentRuntime(framework=framework)


@pytest.fixture
def stored_bank(db_session: Session, framework) -> None:  # type: ignore[no-untyped-def]
    import_directory(db_session, DEFAULT_BANK_DIR, framework)
    db_session.commit()


@pytest.fixture
def make_agent(db_session: Session) -> Callable[..., Agent]:
    counter = iter(range(1, 10_000))

    def make(**fields: object) -> Agent:
        n = next(counter)
        values: dict[str, object] = {"sub": f"sub-{n}", "given_name": "Camille", "display_name": f"Agent {n}"}
        values.update(fields)
        agent = Agent(**values)
        db_session.add(agent)
        db_session.flush()
        return agent

    return make
