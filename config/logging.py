"""Logging: human-readable lines in development, JSON lines in production.

A redaction filter masks anything that looks like a secret (JWTs, Moodle tokens, passwords, bearer
tokens, e-mail addresses) before a record is written, so a careless ``log.info("%s", data)`` cannot
leak tokens or personal data.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), "[jwt]"),
    (re.compile(r"(wstoken=)[^&\s]+", re.IGNORECASE), r"\1[redacted]"),
    (re.compile(r"(bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE), r"\1[redacted]"),
    (
        re.compile(r"((?:password|secret|token|private_key)[\"']?\s*[:=]\s*[\"']?)[^\s\"',&]+", re.I),
        r"\1[redacted]",
    ),
    (
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
        "[private key]",
    ),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites the message (args merged) with secrets and e-mail addresses masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class _RedactingJsonFormatter(JsonFormatter):
    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging API name
        formatted = super().formatException(ei)
        return redact(formatted if isinstance(formatted, str) else "\n".join(formatted))


class _RedactingTextFormatter(logging.Formatter):
    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging API name
        return redact(super().formatException(ei))


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Configure the root logger once for the process (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(
            _RedactingJsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(_RedactingTextFormatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_bridge_handler", False):
            root.removeHandler(existing)
    handler._bridge_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel(max(logging.INFO, logging.getLevelName(level)))
