"""`bridge doctor` (OK and FAIL cases, with the fake Moodle) and `bridge rotate-encryption`."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from sqlalchemy import select

from bridge.assessment.store import DEFAULT_BANK_DIR, import_directory
from bridge.audit.models import AuditEvent
from bridge.ops import ratelimit
from config import migrate
from config.crypto import SecretBox
from config.database import Database, utcnow
from config.framework import load_framework
from lti.models import ToolKey
from sync.models import LmsConnection, SyncRun
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.fakes.moodle import FakeMoodle

MakeApp = Callable[..., Flask]
OTHER_KEY = base64.urlsafe_b64encode(b"o" * 32).decode()
NEW_KEY = base64.urlsafe_b64encode(b"n" * 32).decode()
GOOD_TOKEN = "GOOD-TOKEN"


@pytest.fixture
def moodle() -> Iterator[FakeMoodle]:
    with FakeMoodle() as fake:
        fake.add_token(GOOD_TOKEN)
        fake.add_token("LIMITED-TOKEN", ["core_webservice_get_site_info", "core_user_get_users_by_field"])
        yield fake


@pytest.fixture
def dsfr(tmp_path: Path) -> Path:
    directory = tmp_path / "dsfr"
    directory.mkdir()
    (directory / "dsfr.min.css").write_text("/* dsfr */", encoding="utf-8")
    return directory


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def tool_key(encryption_key: str = TEST_ENCRYPTION_KEY, kid: str = "k1") -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    numbers = private.public_key().public_numbers()
    return ToolKey(
        kid=kid,
        public_jwk={
            "kty": "RSA",
            "kid": kid,
            "alg": "RS256",
            "use": "sig",
            "n": _b64(numbers.n),
            "e": "AQAB",
        },
        private_key_encrypted=SecretBox([encryption_key]).encrypt(pem),
    )


def healthy_site(app: Flask, moodle: FakeMoodle, token: str = GOOD_TOKEN, key: ToolKey | None = None) -> None:
    database: Database = app.extensions["bridge.db"]
    now = utcnow()
    with database.session_scope() as session:
        import_directory(session, DEFAULT_BANK_DIR, load_framework())
        session.add(key or tool_key())
        session.add(
            LmsConnection(
                name="Moodle DGFIP",
                base_url=moodle.url,
                token_encrypted=SecretBox([TEST_ENCRYPTION_KEY]).encrypt(token),
            )
        )
        session.add(
            SyncRun(
                job="push_enrolments",
                status="ok",
                started_at=now - timedelta(hours=2),
                finished_at=now - timedelta(hours=2) + timedelta(minutes=3),
            )
        )


def production(make_app: MakeApp, dsfr: Path, **overrides: object) -> Flask:
    values: dict[str, object] = {
        "env": "production",
        "base_url": "https://pacnum.example.gouv.fr",
        "proxy_count": 1,
        "metrics_token": "metrics-token",
        "dsfr_path": dsfr,
    }
    values.update(overrides)
    return make_app(**values)


def doctor(app: Flask, *args: str) -> tuple[int, dict[str, str]]:
    result = app.test_cli_runner().invoke(args=["bridge", "doctor", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    lines: dict[str, str] = {}
    for line in result.output.splitlines()[:-1]:
        status, rest = line.split(" ", 1)
        name = rest.strip().split(": ", 1)[0]
        lines[name] = status
    return result.exit_code, lines | {"_output": result.output}


def test_a_healthy_deployment(make_app: MakeApp, moodle: FakeMoodle, dsfr: Path) -> None:
    app = production(make_app, dsfr)
    healthy_site(app, moodle)
    code, lines = doctor(app)
    output = lines["_output"]
    assert code == 0, output
    for name in (
        "settings",
        "database",
        "migrations",
        "item bank",
        "stored secrets",
        "tool keys",
        "scheduler",
    ):
        assert lines[name] == "OK", output
    assert lines["LMS #1 Moodle DGFIP"] == "OK"
    assert "Moodle 4.5" in output
    assert lines["sync job push_enrolments"] == "OK"
    assert lines["rate limits"] == "OK"
    assert lines["DSFR assets"] == "OK"
    assert "FAIL" not in output
    assert "1.1: " in output  # item counts per competence
    assert output.splitlines()[-1].endswith("0 failure(s).")


def test_failures_are_named_and_exit_non_zero(make_app: MakeApp, moodle: FakeMoodle, dsfr: Path) -> None:
    app = production(make_app, dsfr, base_url="http://pacnum.example.gouv.fr", dsfr_path=dsfr / "missing")
    healthy_site(app, moodle, token="WRONG-TOKEN", key=tool_key(encryption_key=OTHER_KEY))
    database: Database = app.extensions["bridge.db"]
    with database.session_scope() as session:
        session.add(
            LmsConnection(
                base_url=moodle.url, token_encrypted=SecretBox([TEST_ENCRYPTION_KEY]).encrypt("LIMITED-TOKEN")
            )
        )
        session.add(
            SyncRun(
                job="pull_completions",
                started_at=utcnow() - timedelta(hours=1),
                heartbeat_at=utcnow() - timedelta(minutes=40),
            )
        )
    code, lines = doctor(app)
    output = lines["_output"]
    assert code == 1
    assert lines["settings"] == "FAIL"
    assert "must be https" in output
    assert lines["stored secrets"] == "FAIL"
    assert lines["tool keys"] == "FAIL"
    assert "cannot be decrypted" in output
    assert lines["LMS #1 Moodle DGFIP"] == "FAIL"
    assert "invalidtoken" in output
    assert lines[f"LMS #2 {moodle.url}"] == "FAIL"
    assert "lacks core_cohort_add_cohort_members" in output
    assert lines["scheduler"] == "FAIL"
    assert "pull_completions #" in output
    assert "silent for 40 min" in output
    assert lines["DSFR assets"] == "FAIL"
    assert "WRONG-TOKEN" not in output


def test_skip_lms_and_an_empty_site(make_app: MakeApp, dsfr: Path) -> None:
    app = production(make_app, dsfr)
    code, lines = doctor(app, "--skip-lms")
    output = lines["_output"]
    assert code == 1
    assert lines["item bank"] == "FAIL"
    assert lines["tool keys"] == "FAIL"
    assert "no active tool key" in output
    assert lines["scheduler"] == "WARN"
    assert "no scheduler heartbeat found" in output
    assert "LMS" not in output


def test_pending_migrations_fail(make_app: MakeApp, dsfr: Path) -> None:
    app = production(make_app, dsfr)
    database: Database = app.extensions["bridge.db"]
    migrate.downgrade(database.url, "0005_items")
    try:
        code, lines = doctor(app, "--skip-lms")
    finally:
        migrate.upgrade(database.url)
    assert code == 1
    assert lines["migrations"] == "FAIL"
    assert "flask --app wsgi db upgrade" in lines["_output"]


def test_unreachable_redis_and_development_settings(make_app: MakeApp, dsfr: Path) -> None:
    app = make_app(redis_url="redis://127.0.0.1:1/0", dsfr_path=dsfr)
    code, lines = doctor(app, "--skip-lms")
    assert code == 1
    assert lines["settings"] == "WARN"
    assert lines["redis"] == "FAIL"
    assert lines["rate limits"] == "WARN"
    assert "not enforced" in lines["_output"]


def test_rotating_the_encryption_key(make_app: MakeApp, moodle: FakeMoodle, dsfr: Path) -> None:
    old = production(make_app, dsfr)
    healthy_site(old, moodle)
    rotated_app = production(make_app, dsfr, encryption_key=f"{NEW_KEY},{TEST_ENCRYPTION_KEY}")
    code, lines = doctor(rotated_app, "--skip-lms")
    assert code == 0
    assert lines["stored secrets"] == "WARN"
    assert "2 of 2 still under an older key" in lines["_output"]

    result = rotated_app.test_cli_runner().invoke(args=["bridge", "rotate-encryption"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 2 stored secret(s)" in result.output

    only_new = production(make_app, dsfr, encryption_key=NEW_KEY)
    code, lines = doctor(only_new)
    assert code == 0, lines["_output"]
    assert lines["stored secrets"] == "OK"
    assert lines["tool keys"] == "OK"
    assert lines["LMS #1 Moodle DGFIP"] == "OK"
    database: Database = only_new.extensions["bridge.db"]
    with database.sessionmaker() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "secrets.rotate")).one()
        assert event.details == {"rotated": 2, "were_on_older_key": 2}


def test_rotation_refuses_when_a_secret_is_unreadable(
    make_app: MakeApp, moodle: FakeMoodle, dsfr: Path
) -> None:
    app = production(make_app, dsfr)
    healthy_site(app, moodle, key=tool_key(encryption_key=OTHER_KEY))
    database: Database = app.extensions["bridge.db"]
    with database.sessionmaker() as session:
        stored_before = session.scalars(select(LmsConnection.token_encrypted)).one()
    result = app.test_cli_runner().invoke(args=["bridge", "rotate-encryption"])
    assert result.exit_code == 1
    assert "lti_tool_key.private_key_encrypted#" in result.output
    with database.sessionmaker() as session:
        assert session.scalars(select(LmsConnection.token_encrypted)).one() == stored_before


def test_protected_endpoints_are_reported(app: Flask) -> None:
    _code, lines = doctor(app, "--skip-lms")
    assert lines["rate limits"] == "OK"
    assert "protected endpoint(s)" in lines["_output"]


def test_unprotected_endpoints_are_flagged(app: Flask) -> None:
    ratelimit.get_limiter(app).routes.clear()  # as if no route had been protected
    _code, lines = doctor(app, "--skip-lms")
    assert lines["rate limits"] == "WARN"
    assert "no endpoint is protected" in lines["_output"]
