"""Fixtures for the Moodle client tests: the real captures and a fake Moodle over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from config.crypto import SecretBox
from sync.cli import get_services
from sync.moodle.client import MoodleClient
from sync.services import SyncServices
from tests.fakes.moodle import FakeMoodle

CAPTURES = Path(__file__).parents[2] / ".." / "shared" / "reference" / "moodle-samples" / "ws"
CAPTURE_URL = "http://127.0.0.1:8080"


def capture_files() -> list[Path]:
    return sorted(CAPTURES.glob("*.json")) if CAPTURES.is_dir() else []


def load_capture(prefix: str) -> dict[str, Any]:
    if not CAPTURES.is_dir():
        pytest.skip(f"Moodle captures not found at {CAPTURES.resolve()}")
    (path,) = CAPTURES.glob(f"{prefix}_*.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture
def fake() -> Iterator[FakeMoodle]:
    with FakeMoodle() as moodle:
        moodle.seed_capture_site()
        yield moodle


@pytest.fixture
def client(fake: FakeMoodle) -> Iterator[MoodleClient]:
    moodle = MoodleClient(fake.url, "WSTOKEN", timeout=(2, 5), backoff_base=0.01, backoff_cap=2)
    yield moodle
    moodle.close()


SYNC_TOKEN = "SYNCTOKEN"


@pytest.fixture
def moodle() -> Iterator[FakeMoodle]:
    """A fake Moodle for the jobs: every function in the token's service, two courses, no users yet."""
    with FakeMoodle() as site:
        site.add_token(SYNC_TOKEN)
        site.add_course("PACNUM-A", id=500)
        site.add_course("PACNUM-B", id=501)
        yield site


@pytest.fixture
def services(app: Flask) -> SyncServices:
    services = get_services(app)
    # Fast retries, short timeouts: the fake answers in milliseconds.
    services.client_options = {"backoff_base": 0.01, "backoff_cap": 0.05, "timeout": (2, 1.0)}
    return services


@pytest.fixture
def box(services: SyncServices) -> SecretBox:
    return services.secret_box()
