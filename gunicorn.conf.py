"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment (GUNICORN_BIND, GUNICORN_WORKERS, ...).
Web workers are stateless (launch state lives in the database or Redis), so any number of workers and
nodes can share one PostgreSQL. The scheduler is a separate process (`flask --app wsgi sync scheduler`).

Metrics with several workers: each worker writes its Prometheus counters to files in
PROMETHEUS_MULTIPROC_DIR and /metrics sums every worker's files. The variable must be set before
prometheus_client is first imported, which is why it is defaulted here, at the top, in the master
(workers are forked from it). The directory is emptied when gunicorn starts (stale files from a previous
run would be summed too) and ``child_exit`` does the library's bookkeeping for a dead worker.
"""

import multiprocessing
import os
import re
from pathlib import Path

os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(__file__).resolve().parent / "instance" / "prometheus-multiproc")
)

# Imported after PROMETHEUS_MULTIPROC_DIR is set (see above).
from gunicorn.glogging import Logger
from prometheus_client import multiprocess

_REGISTRATION_LINK = re.compile(r"(/lti/register/)[^/?#\s]+")


class RedactingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, with the secret of one-time registration links (``/lti/register/<token>``)
    replaced in every access-log field."""

    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str) and "/lti/register/" in value:
                atoms[key] = _REGISTRATION_LINK.sub(r"\1<token>", value)
        return atoms


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(min(4, multiprocessing.cpu_count() * 2))))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
preload_app = False
# Only the reverse proxy may set X-Forwarded-* (BRIDGE_PROXY_COUNT turns ProxyFix on in the app).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
# The path only (%(U)s): query strings can carry signed launch tokens, which must not reach the logs.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'
# ... and the path may carry a registration link's token: RedactingLogger replaces it.
logger_class = RedactingLogger


def on_starting(server):  # type: ignore[no-untyped-def]
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    multiprocess.mark_process_dead(worker.pid)
