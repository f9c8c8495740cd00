"""gunicorn's access log (gunicorn.conf.py) as in production: the path only, and the token of a one-time
registration link (``/lti/register/<token>``) replaced."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from config.settings import PROJECT_ROOT
from tests.conftest import TEST_ENCRYPTION_KEY


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.timeout(120)
def test_registration_link_token_is_not_in_the_access_log(database_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "BRIDGE_ENV": "test",
        "BRIDGE_DATABASE_URL": database_url,
        "BRIDGE_INSTANCE_PATH": str(tmp_path),
        "BRIDGE_SECRET_KEY": "test-secret-key-" + "x" * 32,
        "BRIDGE_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
        "BRIDGE_LOG_LEVEL": "INFO",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
    }
    log_file = tmp_path / "access.log"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--access-logfile",
            str(log_file),
            "wsgi:app",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    token = secrets.token_urlsafe(32)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/readyz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        response = requests.get(
            f"{base}/lti/register/{token}",
            params={"openid_configuration": "http://127.0.0.1:9/x", "registration_token": "t"},
            timeout=10,
        )
        assert response.status_code == 404
        assert "lti.registration_link_unknown" in response.text
    finally:
        server.terminate()
        _out, errors = server.communicate(timeout=30)
    access = log_file.read_text(encoding="utf-8")
    assert '"GET /lti/register/<token> HTTP/1.1" 404' in access
    assert token not in access
    assert token not in errors.decode()  # the application's own log lines (stderr)
    assert "lti.registration_link_unknown" in errors.decode()
