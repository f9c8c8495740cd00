"""gunicorn as in production (gunicorn.conf.py, ``wsgi:app``) in a subprocess, for the tests that need
real worker processes: started on a free loopback port, ready once ``/readyz`` answers 200."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from config.settings import PROJECT_ROOT
from tests.conftest import TEST_ENCRYPTION_KEY


@dataclass
class Gunicorn:
    url: str
    process: subprocess.Popen[bytes]
    stderr: str = ""  # the application's log lines, once the server has stopped


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(
    database_url: str,
    tmp_path: Path,
    *,
    workers: int = 1,
    access_log: Path | None = None,
    log_level: str = "WARNING",
) -> Iterator[Gunicorn]:
    port = free_port()
    env = {
        **os.environ,
        "BRIDGE_ENV": "test",
        "BRIDGE_DATABASE_URL": database_url,
        "BRIDGE_INSTANCE_PATH": str(tmp_path),
        "BRIDGE_SECRET_KEY": "test-secret-key-" + "x" * 32,
        "BRIDGE_ENCRYPTION_KEY": TEST_ENCRYPTION_KEY,
        "BRIDGE_LOG_LEVEL": log_level,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
    command += ["--access-logfile", str(access_log) if access_log else "/dev/null", "wsgi:app"]
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    server = Gunicorn(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{server.url}/readyz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        _out, errors = process.communicate(timeout=30)
        server.stderr = errors.decode()
