"""Launch throughput (OIDC login + launch: the two requests of every launch), side by side in one run:

  (a) pacnum-bridge (wsgi:app) as deployed on PostgreSQL alone: launch state and rate-limit counters in
      PostgreSQL, the platform key cached in the database; the agent table holds a directorate's
      population (99,000 agents imported before their first launch, by default),
  (a') the same with Redis (BRIDGE_REDIS_URL): launch state and rate-limit counters in Redis,
  (b) the floor: bench/launch_apps/floor.py, PyJWT verifying RS256 against a key cached in memory,
  (c) pylti1p3's documented Flask pattern: bench/launch_apps/pylti1p3_pattern.py (flask-caching store
      shared through Redis, platform JWKS fetched on every launch).

Each is served by gunicorn, 2 gthread workers, on 127.0.0.1. The test platform (tests/fakes) runs in this
process: it answers JWKS requests and signs every id_token with the nonce the tool's login returned, so
signing is client work, outside the servers' CPU. Server CPU per launch is read from the workers'
/proc/<pid>/stat (utime + stime) before and after the timed launches; for pacnum-bridge the CPU of the
PostgreSQL backends serving it (same machine) is read the same way and reported apart. Targets are
measured in interleaved rounds, after a warm-up, so that drift affects them all alike.

    flask-caching is not a dependency of the service: install it aside for this run only
    pip install --target /tmp/bench-site --no-deps flask-caching cachelib
    python -m bench.launch_bench --db postgresql://postgres@127.0.0.1:5432/launch_bench \
        --site /tmp/bench-site --launches 1500 --concurrency 8

Never point --db at a real database: it is dropped and recreated. Results: bench/results/launch.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.tracker_bench import recreate
from config import migrate
from config.database import Database
from lti import registry
from lti.demo.users import LEARNER, EmulatedUser
from lti.keys import generate_rsa
from tests.fakes.lti_platform import TestPlatform

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
AGENTS = 2000  # distinct learners, cycled
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Target:
    name: str
    wsgi: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    config: Path = Path("/dev/null")
    platform: TestPlatform | None = None
    master: subprocess.Popen[bytes] | None = None
    launches: int = 0
    failed: int = 0
    seconds: float = 0.0
    cpu_ticks: int = 0
    latencies: list[float] = field(default_factory=list)
    database: str | None = None  # the PostgreSQL database whose backends' CPU is measured too
    db_ticks: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        assert self.master is not None
        children = Path(f"/proc/{self.master.pid}/task/{self.master.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def cpu(self) -> int:
        return sum(ticks(pid) for pid in self.workers())

    def db_cpu(self, probe: Database | None) -> int:
        if probe is None or self.database is None:
            return 0
        with probe.engine.connect() as conn:
            pids = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"),
                {"db": self.database},
            ).scalars()
            return sum(ticks(pid) for pid in pids)


def ticks(pid: int) -> int:
    """utime + stime of a process (fields 14 and 15 of /proc/<pid>/stat), 0 when it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0
    return int(fields[11]) + int(fields[12])


@contextmanager
def serve(target: Target) -> Iterator[None]:
    # An empty config file: not the repository's gunicorn.conf.py (access log, max_requests restarts).
    command = [GUNICORN, "-c", str(target.config), "-w", "2", "-k", "gthread", "--threads", "4"]
    # Keep-alive longer than a client's pause, as gunicorn.conf.py (5 s) or a reverse proxy does: with
    # gunicorn's default 2 s, an idle connection is closed just as the client reuses it.
    command += ["-b", f"127.0.0.1:{target.port}", "--keep-alive", "10"]
    command += ["--log-level", "warning", target.wsgi]
    env = {**os.environ, **target.env}
    target.master = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(target.url + "/", timeout=1)
                if len(target.workers()) == 2:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or target.master.poll() is not None:
                raise SystemExit(f"{target.name} did not start on {target.url}")
            time.sleep(0.2)
        yield
    finally:
        target.master.terminate()
        target.master.wait(timeout=30)


def add_learners(platform: TestPlatform) -> None:
    for n in range(AGENTS):
        sub = str(10_000 + n)
        platform.users[sub] = EmulatedUser(
            sub, f"agent{n}", "Agent", f"N{n}", f"agent{n}@example.com", (LEARNER,), f"AG-{n}", ""
        )


local = threading.local()


def one_launch(target: Target, sub: str) -> bool:
    """Login initiation then launch, as a browser does (without following the tool's final redirect)."""
    platform = target.platform
    assert platform is not None
    http: requests.Session = getattr(local, target.name, None) or requests.Session()
    setattr(local, target.name, http)
    http.cookies.clear()
    started = time.perf_counter()
    login = http.post(
        platform.tool_login_url, data=platform.login_initiation(sub), allow_redirects=False, timeout=30
    )
    if login.status_code != 302:
        return False
    query = parse_qs(urlsplit(login.headers["Location"]).query)
    token = platform.id_token(sub, query["nonce"][0])
    launch = http.post(
        platform.tool_launch_url,
        data={"id_token": token, "state": query["state"][0]},
        allow_redirects=False,
        timeout=30,
    )
    target.latencies.append(time.perf_counter() - started)
    return launch.status_code in (200, 302, 303)


def run(
    target: Target, count: int, concurrency: int, offset: int, probe: Database | None, *, measure: bool = True
) -> None:
    subs = [str(10_000 + (offset + i) % AGENTS) for i in range(count)]
    before_cpu, before_db = target.cpu(), target.db_cpu(probe)
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        outcomes = list(pool.map(lambda sub: _safe(target, sub), subs))
    elapsed = time.perf_counter() - started
    after_cpu, after_db = target.cpu(), target.db_cpu(probe)
    if measure:
        target.launches += count
        target.failed += outcomes.count(False)
        target.seconds += elapsed
        target.cpu_ticks += after_cpu - before_cpu
        target.db_ticks += after_db - before_db


def _safe(target: Target, sub: str) -> bool:
    try:
        return one_launch(target, sub)
    except requests.RequestException:
        return False


def setup_tool_database(url: str, platforms: list[TestPlatform], population: int) -> None:
    """A new database at head with the platforms registered and ``population`` agents imported before
    their first launch (as a campaign's population file does): the launch's matching searches them."""
    recreate(url)
    migrate.upgrade(url)
    database = Database(url)
    with database.session_scope() as session:
        for n, platform in enumerate(platforms):
            saved, _ = registry.save_platform(
                session,
                registry.PlatformInput(
                    **platform.registration(), name=f"Moodle bench {n}", product_family="moodle"
                ),
            )
            registry.add_deployment(session, saved, "1", active=True)
    with database.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO agent (external_id, username, email, given_name, family_name, display_name,"
                " directorate, unit, created_at)"
                " SELECT 'DGFIP-' || n, 'dgfip' || n, 'agent' || n || '@dgfip.example', 'Agent', 'N' || n,"
                " 'Agent N' || n, 'DGFIP', 'Unit ' || (n % 500), now()"
                " FROM generate_series(1, :population) AS n"
            ),
            {"population": population},
        )
        conn.execute(text("ANALYZE agent"))
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/launch_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--site",
        default="/tmp/bench-site",  # noqa: S108 - the install target of the docstring
        help="where flask-caching was installed",
    )
    parser.add_argument("--launches", type=int, default=1500, help="timed launches per target")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument("--population", type=int, default=99_000, help="agents imported beforehand")
    parser.add_argument("--redis-tool", default="redis://127.0.0.1:6379/12", help="pacnum-bridge + Redis")
    args = parser.parse_args()
    for url in (args.db, args.redis, args.redis_tool):
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
            raise SystemExit("the benchmark only runs against 127.0.0.1")

    workdir = Path(tempfile.mkdtemp(prefix="launch-bench-"))
    key_file = workdir / "tool.pem"
    key_file.write_text(generate_rsa()[0])
    common = {
        "BRIDGE_ENV": "test",
        "BRIDGE_DATABASE_URL": args.db,
        "BRIDGE_INSTANCE_PATH": str(workdir / "instance"),
        "BRIDGE_SECRET_KEY": "bench-secret-key-" + "x" * 32,
        "BRIDGE_ENCRYPTION_KEY": "a" * 43 + "=",
        "BRIDGE_LOG_LEVEL": "WARNING",
        "BRIDGE_RATELIMIT_LTI": "1000000/minute",  # the limiter runs (and costs) but never refuses
    }
    database_name = make_url(args.db).database
    ours = Target(
        "pacnum-bridge (PostgreSQL)",
        "wsgi:app",
        {**common, "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus")},
        database=database_name,
    )
    ours_redis = Target(
        "pacnum-bridge (PostgreSQL + Redis)",
        "wsgi:app",
        {
            **common,
            "BRIDGE_REDIS_URL": args.redis_tool,
            "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus-redis"),
        },
        database=database_name,
    )
    for target in (ours, ours_redis):
        target.env["BRIDGE_BASE_URL"] = target.url
        Path(target.env["PROMETHEUS_MULTIPROC_DIR"]).mkdir()
    floor = Target("floor (PyJWT only)", "bench.launch_apps.floor:app", {})
    pattern = Target(
        "pylti1p3 documented pattern",
        "bench.launch_apps.pylti1p3_pattern:app",
        {"PYTHONPATH": args.site, "BENCH_REDIS_URL": args.redis, "BENCH_TOOL_KEY": str(key_file)},
    )
    targets = [ours, ours_redis, floor, pattern]
    for target in targets:
        target.config = workdir / "gunicorn.conf.py"
        target.config.touch()
    for url in (args.redis, args.redis_tool):
        redis_db = urlsplit(url).path.strip("/") or "0"
        subprocess.run(["redis-cli", "-n", redis_db, "flushdb"], check=True, capture_output=True)

    with ExitStack() as stack:
        for target in targets:
            target.platform = stack.enter_context(TestPlatform(target.url))
            add_learners(target.platform)
            registration = target.platform.registration()
            target.env.update(
                {
                    "BENCH_ISSUER": registration["issuer"],
                    "BENCH_CLIENT_ID": target.platform.client_id,
                    "BENCH_AUTH_URL": registration["auth_login_url"],
                    "BENCH_TOKEN_URL": registration["auth_token_url"],
                    "BENCH_JWKS_URL": registration["key_set_url"],
                }
            )
        setup_tool_database(args.db, [ours.platform, ours_redis.platform], args.population)  # type: ignore[list-item]
        probe = Database(args.db)
        for target in targets:
            stack.enter_context(serve(target))
        for target in targets:
            run(target, args.warmup, args.concurrency, 0, probe, measure=False)
            target.latencies.clear()
        per_round = args.launches // args.rounds
        for round_no in range(args.rounds):
            for target in targets:
                run(target, per_round, args.concurrency, round_no * per_round, probe)
                print(f"round {round_no + 1}: {target.name} done", file=sys.stderr)
        probe.dispose()

    report: dict[str, Any] = {
        t.name: {
            "launches": t.launches,
            "failed": t.failed,
            "launches_per_s": round(t.launches / t.seconds, 1),
            "server_cpu_ms_per_launch": round(1000 * t.cpu_ticks / TICK / t.launches, 3),
            "postgresql_cpu_ms_per_launch": round(1000 * t.db_ticks / TICK / t.launches, 3),
            "p50_ms": round(1000 * statistics.median(t.latencies), 1),
            "p95_ms": round(1000 * statistics.quantiles(t.latencies, n=20)[18], 1),
        }
        for t in targets
    }
    a, a_redis, b, c = (report[t.name] for t in targets)
    report["ratios"] = {
        "ours_vs_floor_throughput": round(a["launches_per_s"] / b["launches_per_s"], 2),
        "ours_vs_pylti1p3_throughput": round(a["launches_per_s"] / c["launches_per_s"], 2),
        "ours_redis_vs_floor_throughput": round(a_redis["launches_per_s"] / b["launches_per_s"], 2),
        "ours_redis_vs_pylti1p3_throughput": round(a_redis["launches_per_s"] / c["launches_per_s"], 2),
        "ours_vs_floor_cpu": round(a["server_cpu_ms_per_launch"] / b["server_cpu_ms_per_launch"], 2),
        "ours_redis_vs_floor_cpu": round(
            a_redis["server_cpu_ms_per_launch"] / b["server_cpu_ms_per_launch"], 2
        ),
        "ours_vs_pylti1p3_cpu": round(a["server_cpu_ms_per_launch"] / c["server_cpu_ms_per_launch"], 2),
        "ours_redis_vs_pylti1p3_cpu": round(
            a_redis["server_cpu_ms_per_launch"] / c["server_cpu_ms_per_launch"], 2
        ),
    }
    report["setup"] = {
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
        "workers": 2,
        "threads": 4,
        "population": args.population,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "launch.json").write_text(json.dumps(report, indent=2))
    print(
        "| target | launches/s | server CPU ms/launch | PostgreSQL CPU ms/launch | p50 ms | p95 ms | failed |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for t in targets:
        r = report[t.name]
        print(
            f"| {t.name} | {r['launches_per_s']} | {r['server_cpu_ms_per_launch']} | "
            f"{r['postgresql_cpu_ms_per_launch']} | {r['p50_ms']} | {r['p95_ms']} | "
            f"{r['failed']}/{r['launches']} |"
        )
    print(json.dumps(report["ratios"]))


if __name__ == "__main__":
    main()
