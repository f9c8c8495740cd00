"""The database session of the current request (one unit of work per request)."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from config.database import Database

EXTENSION_KEY = "bridge.db"


def init_app(app: Flask, database: Database) -> None:
    app.extensions[EXTENSION_KEY] = database
    app.teardown_appcontext(_close_session)


def get_database(app: Flask | None = None) -> Database:
    database: Database = (app or current_app).extensions[EXTENSION_KEY]
    return database


def get_session() -> Session:
    """The session of this request or CLI command, created on first use, closed at teardown."""
    session: Session | None = g.get("_db_session")
    if session is None:
        session = get_database().sessionmaker()
        g._db_session = session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("_db_session", None)
    if session is not None:
        session.rollback()
        session.close()
