"""Fixtures for recommendation tests: a SecretBox for LMS tokens."""

from __future__ import annotations

import pytest

from config.crypto import SecretBox
from config.settings import Settings


@pytest.fixture
def box(settings: Settings) -> SecretBox:
    return SecretBox(settings.encryption_keys())
