"""gunicorn's access log (gunicorn.conf.py) as in production: the path only, and the token of a one-time
registration link (``/lti/register/<token>``) replaced."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import requests

from tests.support.gunicorn import gunicorn


@pytest.mark.timeout(120)
def test_registration_link_token_is_not_in_the_access_log(database_url: str, tmp_path: Path) -> None:
    log_file = tmp_path / "access.log"
    token = secrets.token_urlsafe(32)
    with gunicorn(database_url, tmp_path, access_log=log_file, log_level="INFO") as server:
        response = requests.get(
            f"{server.url}/lti/register/{token}",
            params={"openid_configuration": "http://127.0.0.1:9/x", "registration_token": "t"},
            timeout=10,
        )
        assert response.status_code == 404
        assert "lti.registration_link_unknown" in response.text
    access = log_file.read_text(encoding="utf-8")
    assert '"GET /lti/register/<token> HTTP/1.1" 404' in access
    assert token not in access
    assert token not in server.stderr  # the application's own log lines (stderr)
    assert "lti.registration_link_unknown" in server.stderr
