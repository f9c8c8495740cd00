"""`flask --app wsgi lti ...`: manual registration with clear errors, URLs, listings."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from config.database import Database
from config.settings import PROJECT_ROOT
from lti.errors import all_codes
from lti.models import Deployment, Platform

MOODLE = "https://moodle.example.gouv.fr"


def _add(app: Flask, *extra: str) -> tuple[int, str]:
    args = [
        "lti",
        "platform-add",
        "--issuer",
        MOODLE,
        "--client-id",
        "cH8DYLoAXmmdZq1",
        "--auth-login-url",
        MOODLE + "/mod/lti/auth.php",
        "--auth-token-url",
        MOODLE + "/mod/lti/token.php",
        "--key-set-url",
        MOODLE + "/mod/lti/certs.php",
        *extra,
    ]
    result = app.test_cli_runner().invoke(args=args)
    return result.exit_code, result.output


def test_platform_add_registers_and_prints_the_urls(app: Flask, database: Database) -> None:
    code, output = _add(app, "--deployment-id", "1", "--deployment-id", "3", "--name", "Moodle ministère")
    assert code == 0, output
    assert "registered" in output
    assert "http://localhost/lti/launch" in output
    assert "http://localhost/lti/login" in output
    assert "http://localhost/lti/jwks" in output
    with database.session_scope() as session:
        platform = session.scalars(select(Platform)).one()
        assert (platform.name, platform.product_family, platform.registered_by) == (
            "Moodle ministère",
            "moodle",
            "manual",
        )
        deployments = session.scalars(select(Deployment).order_by(Deployment.deployment_id)).all()
        assert [(d.deployment_id, d.active) for d in deployments] == [("1", True), ("3", True)]
    code, output = _add(app)  # again: an update, not a duplicate
    assert code == 0
    assert "updated" in output


def test_platform_add_explains_bad_values(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "lti",
            "platform-add",
            "--issuer",
            MOODLE,
            "--client-id",
            "x",
            "--auth-login-url",
            "moodle/mod/lti/auth.php",
            "--auth-token-url",
            MOODLE + "/mod/lti/token.php",
            "--key-set-url",
            MOODLE + "/mod/lti/certs.php",
        ]
    )
    assert result.exit_code == 1
    assert "authentication request URL must be an absolute http(s) URL" in result.output


def test_urls_and_listings(app: Flask) -> None:
    runner = app.test_cli_runner()
    urls = runner.invoke(args=["lti", "urls"]).output
    assert "Dynamic registration URL:            http://localhost/lti/register" in urls
    _add(app, "--deployment-id", "1")
    assert (
        f"{MOODLE}  client=cH8DYLoAXmmdZq1  manual  active" in runner.invoke(args=["lti", "platforms"]).output
    )
    assert "deployment=1  active" in runner.invoke(args=["lti", "deployments"]).output


def test_every_error_code_is_documented() -> None:
    text = (PROJECT_ROOT / "docs" / "lti.md").read_text(encoding="utf-8")
    missing = [code for code in all_codes() if f"`{code}`" not in text]
    assert missing == []
