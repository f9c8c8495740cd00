"""Shared fixtures: app -> client -> runner, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from bridge.app import create_app
from config import migrate
from config.database import Database
from config.settings import Settings, load_settings
from tests.support import databases, network
from tests.support.live_server import LiveServer

TEST_ENCRYPTION_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()


@pytest.fixture(autouse=True)
def _no_external_network(monkeypatch: pytest.MonkeyPatch) -> None:
    network.install(monkeypatch)


@pytest.fixture(scope="session", params=databases.backends())
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp(f"db-{request.param}")
    with databases.provision(request.param, workdir) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def settings_factory(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    def make(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "env": "test",
            "database_url": database_url,
            "instance_path": tmp_path / "instance",
            "secret_key": "test-secret-key-" + "x" * 32,
            "encryption_key": TEST_ENCRYPTION_KEY,
            "base_url": "http://localhost",
            "log_level": "WARNING",
        }
        values.update(overrides)
        return load_settings(**values)

    return make


@pytest.fixture
def settings(settings_factory) -> Settings:  # type: ignore[no-untyped-def]
    result: Settings = settings_factory()
    return result


@pytest.fixture
def app(settings: Settings, database: Database) -> Iterator[Flask]:
    application = create_app(settings, database=database)
    yield application
    databases.clean_tables(database)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def db_session(app: Flask, database: Database) -> Iterator[Session]:
    with app.app_context():
        session = database.sessionmaker()
        yield session
        session.rollback()
        session.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server
