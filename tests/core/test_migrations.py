"""The schema comes only from migrations, and they go down and up again cleanly."""

from __future__ import annotations

import warnings

from sqlalchemy import inspect

from config import migrate
from config.database import Base, Database


def test_upgrade_downgrade_upgrade(database: Database) -> None:
    url = database.url
    migrate.downgrade(url, "base")
    try:
        names = set(inspect(database.engine).get_table_names()) - {"alembic_version"}
        assert names == set()
    finally:
        migrate.upgrade(url)
    assert migrate.is_at_head(database.engine, url)
    names = set(inspect(database.engine).get_table_names())
    assert set(Base.metadata.tables) <= names


def test_models_match_migrations(database: Database) -> None:
    """Autogenerate finds nothing to do: every model change has its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as conn, warnings.catch_warnings():
        if database.engine.dialect.name == "sqlite":
            # SQLite's reflection skips expression indexes (lower(email)): PostgreSQL compares them.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based")
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
