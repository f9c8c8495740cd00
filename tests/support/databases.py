"""Test databases: a SQLite file always, PostgreSQL too when BRIDGE_TEST_DATABASE_URL is set.

Each test session gets its own PostgreSQL schema (so parallel runs never collide), migrated to head
once; each test then starts from empty tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

from config.database import Base, Database

POSTGRES_ENV = "BRIDGE_TEST_DATABASE_URL"


def backends() -> list[str]:
    names = ["sqlite"]
    if os.environ.get(POSTGRES_ENV):
        names.append("postgresql")
    return names


def _psycopg_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@contextmanager
def provision(backend: str, workdir: Path) -> Iterator[str]:
    """Yield the URL of an empty database for this test session, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'test.db'}"
        return
    base = _psycopg_url(os.environ[POSTGRES_ENV])
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def clean_tables(database: Database) -> None:
    """Empty every table (the schema stays at head)."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with database.engine.begin() as conn:
        if database.backend == "postgresql":
            names = ", ".join(f'"{name}"' for name in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 - names from our own metadata
