"""Test infrastructure and cross-cutting helpers: network guard, log redaction, secret box."""

from __future__ import annotations

import logging
import socket

import pytest

from config.crypto import SecretBox, SecretDecryptionError
from config.logging import RedactingFilter
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.support.network import ExternalNetworkError


def test_external_network_is_refused() -> None:
    with socket.socket() as sock, pytest.raises(ExternalNetworkError):
        sock.connect(("192.0.2.1", 80))


def test_redaction_masks_tokens_and_emails() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "call %s for %s", ("wstoken=abcdef123", "a@b.fr"), None
    )
    RedactingFilter().filter(record)
    assert record.getMessage() == "call wstoken=[redacted] for [email]"


def test_secret_box_round_trip_and_rotation() -> None:
    old = SecretBox([TEST_ENCRYPTION_KEY])
    token = old.encrypt("moodle-token")
    assert "moodle-token" not in token
    new_key = "bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmU="
    rotated = SecretBox([new_key, TEST_ENCRYPTION_KEY])
    assert rotated.decrypt(token) == "moodle-token"
    assert SecretBox([new_key]).decrypt(rotated.rotate(token)) == "moodle-token"
    with pytest.raises(SecretDecryptionError):
        SecretBox([new_key]).decrypt(token)
