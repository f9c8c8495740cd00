"""The adapter's runtime and database session for the current app and request."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from lti.runtime import LtiRuntime

EXTENSION_KEY = "lti"


def get_runtime(app: Flask | None = None) -> LtiRuntime:
    runtime: LtiRuntime = (app or current_app).extensions[EXTENSION_KEY]
    return runtime


def request_session() -> Session:
    """The adapter's own database session for this request (its unit of work; closed at teardown)."""
    session: Session | None = g.get("_lti_session")
    if session is None:
        session = get_runtime().database.sessionmaker()
        g._lti_session = session
    return session


def close_request_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("_lti_session", None)
    if session is not None:
        session.rollback()
        session.close()
