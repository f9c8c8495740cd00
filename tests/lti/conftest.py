"""Fixtures: the tool served over HTTP (its own URL as BRIDGE_BASE_URL), a registered test platform, and
an HTTP client playing the browser."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import requests
from flask import Flask

from bridge.app import create_app
from config.database import Database
from config.settings import Settings
from lti import registry
from tests.fakes.lti_platform import TestPlatform
from tests.support import databases
from tests.support.live_server import LiveServer


@dataclass
class Tool:
    app: Flask
    url: str
    settings: Settings
    database: Database


def serve_tool(
    settings_factory: Callable[..., Settings], database: Database, **overrides: object
) -> LiveServer:
    """A tool app on its own port, its BRIDGE_BASE_URL being that port's URL (not started)."""
    server = LiveServer()
    settings = settings_factory(base_url=overrides.pop("base_url", server.url), **overrides)
    server.app = create_app(settings, database=database)
    return server


@contextmanager
def running_tool(
    settings_factory: Callable[..., Settings], database: Database, **overrides: object
) -> Iterator[Tool]:
    """A tool served over HTTP with these settings; its tables are emptied afterwards."""
    server = serve_tool(settings_factory, database, **overrides)
    try:
        with server:
            app = server.app
            yield Tool(app=app, url=server.url, settings=app.extensions["bridge.settings"], database=database)
    finally:
        databases.clean_tables(database)


@pytest.fixture
def tool(settings_factory: Callable[..., Settings], database: Database) -> Iterator[Tool]:
    with running_tool(settings_factory, database) as served:
        yield served


def register(database: Database, platform: TestPlatform, *, deployments: tuple[str, ...] = ("1",)) -> int:
    with database.session_scope() as session:
        saved, _ = registry.save_platform(
            session,
            registry.PlatformInput(**platform.registration(), name="Moodle test", product_family="moodle"),
        )
        for deployment_id in deployments:
            registry.add_deployment(session, saved, deployment_id, active=True)
        return saved.id


@pytest.fixture
def platform(tool: Tool) -> Iterator[TestPlatform]:
    with TestPlatform(tool.url) as test_platform:
        register(tool.database, test_platform)
        yield test_platform


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session
