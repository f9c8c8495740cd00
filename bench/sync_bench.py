"""Moodle sync at ministry scale: calls, wall time and peak RSS of a full push and a nightly pull.

    python -m bench.sync_bench [--agents 130000] [--per-agent 3] [--courses 60] [--latency 0.02]
                               [--db sqlite:////tmp/sync-bench.db] [--sample 2000]

The fake Moodle runs in its own process (bench/fake_moodle.py) with ``--latency`` seconds per call; each
measured job runs in its own process too (``python -m bench.sync_bench job ...``), so the peak RSS is the
job's alone. The naive strategies (one call per pair) are measured on ``--sample`` pairs in the same run
and extrapolated linearly to the full load (labelled as such). ``--db`` takes an EMPTY database (SQLite file
recreated; PostgreSQL: the schema is downgraded to base and migrated again).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bench.fake_moodle import TOKEN
from bridge.sync_port import build_sync_services
from config import migrate
from config.crypto import SecretBox
from config.database import Database, utcnow
from config.settings import PROJECT_ROOT, load_settings
from sync.models import LmsConnection
from sync.moodle.client import MoodleClient
from sync.moodle.models import Enrolment
from sync.runner import run_job
from tests.support.sync_seed import AgentSpec, seed_connection, seed_enrolments

KEY = base64.urlsafe_b64encode(b"b" * 32).decode()
FIRST_ID = 1000  # first user and course id of the fake's bulk seeding


def _settings(db: str) -> Any:
    return load_settings(
        env="test", database_url=db, encryption_key=KEY, secret_key="b" * 40, log_level="WARNING"
    )


def _rss_mb() -> float:
    """Peak RSS of this process image. Not ru_maxrss: Linux carries it over fork + exec, so a job process
    would report the seeding parent's peak; VmHWM belongs to the new image only."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- measured jobs (each in its own process) -------------------------------------------------------------
def job(args: argparse.Namespace) -> None:
    settings = _settings(args.db)
    database = Database(settings.effective_database_url)
    start = time.monotonic()
    if args.job in ("push", "pull"):
        result = run_job(build_sync_services(database, settings), args.job)
        progress = {k: v for k, v in result.progress.items() if k != "errors"}
        out = {
            "calls": result.calls,
            "status": result.status,
            "pushed": result.pushed,
            "pulled": result.pulled,
            "failed": result.failed,
            "progress": progress,
        }
    else:
        out = naive(args, database)
    out.update(seconds=time.monotonic() - start, rss_mb=_rss_mb())
    sys.stdout.write(json.dumps(out) + "\n")


def naive(args: argparse.Namespace, database: Database) -> dict[str, Any]:
    """One web-service call per pair, on the first ``sample`` pairs, with the same parallelism (4)."""
    client = MoodleClient(args.moodle, TOKEN, max_parallel=4)
    pairs = [
        (FIRST_ID + i % args.agents, FIRST_ID + (i % args.agents + i // args.agents) % args.courses)
        for i in range(args.sample)
    ]
    if args.job == "naive-push":
        work = lambda p: client.enrol_users([Enrolment(p[0], p[1])])  # noqa: E731
    else:
        work = lambda p: client.get_course_completion_status(p[1], p[0])  # noqa: E731
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, pairs))
    return {"calls": client.http_requests, "pairs": len(pairs)}


# -- orchestration --------------------------------------------------------------------------------------
def _control(url: str, path: str) -> dict[str, Any]:
    request = urllib.request.Request(url + path, method="POST" if "nightly" in path else "GET")  # noqa: S310
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 - local fake
        result: dict[str, Any] = json.loads(response.read())
        return result


def _run(args: argparse.Namespace, name: str, moodle: str, **extra: Any) -> dict[str, Any]:
    cmd = [
        sys.executable, "-m", "bench.sync_bench", "job", name, "--db", args.db, "--moodle", moodle,
        "--agents", str(args.agents), "--courses", str(args.courses), "--sample", str(extra.get("sample", 0)),
    ]  # fmt: skip
    done = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {name}: {result}", flush=True)
    return result


def _fresh_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        migrate.downgrade(url, "base")
    migrate.upgrade(url)


def orchestrate(args: argparse.Namespace) -> None:
    settings = _settings(args.db)
    url = settings.effective_database_url
    _fresh_database(url)
    fake_cmd = [
        sys.executable, "-m", "bench.fake_moodle", "--users", str(args.agents),
        "--courses", str(args.courses), "--latency", str(args.latency),
    ]  # fmt: skip
    fake = subprocess.Popen(fake_cmd, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert fake.stdout is not None
        moodle = fake.stdout.readline().strip()
        database = Database(url)
        start = time.monotonic()
        platform_id, connection_id = seed_connection(
            database, SecretBox([KEY]), base_url=moodle, token=TOKEN, max_parallel=4, batch_size=200
        )
        agents = [AgentSpec(sub=str(FIRST_ID + i), lms_user_id=FIRST_ID + i) for i in range(args.agents)]
        courses = [FIRST_ID + c for c in range(args.courses)]
        seed_enrolments(
            database,
            platform_id=platform_id,
            connection_id=connection_id,
            agents=agents,
            courses=courses,
            per_agent=args.per_agent,
        )
        del agents
        pairs = args.agents * args.per_agent
        seconds = time.monotonic() - start
        print(f"seeded {pairs:,} pairs in {seconds:.0f} s ({database.backend})", flush=True)
        push = _run(args, "push", moodle)
        stats = _control(moodle, "/_control/stats")
        nightly = _control(moodle, "/_control/nightly?fraction=0.1&completed=0.5")
        yesterday = utcnow() - timedelta(days=1)  # yesterday's pull, and a reconciliation this week
        with database.session_scope() as session:
            values = {"last_incremental_pull_at": yesterday, "last_full_reconciliation_at": utcnow()}
            session.execute(update(LmsConnection).values(**values))
        _control(moodle, "/_control/reset")
        pull = _run(args, "pull", moodle)
        naive_push = _run(args, "naive-push", moodle, sample=args.sample)
        naive_pull = _run(args, "naive-pull", moodle, sample=args.sample)
        report(args, pairs, push, stats, nightly, pull, naive_push, naive_pull, database.backend)
    finally:
        fake.kill()


def report(
    args: argparse.Namespace,
    pairs: int,
    push: dict[str, Any],
    stats: dict[str, Any],
    nightly: dict[str, Any],
    pull: dict[str, Any],
    naive_push: dict[str, Any],
    naive_pull: dict[str, Any],
    backend: str,
) -> None:
    scale = pairs / args.sample
    changed = nightly["changed"]
    pages = args.courses * -(-(pairs // args.courses) // 1000)
    min_pull = pages + min(changed, nightly["changed_users"])
    rows = [
        ("full push (manual, batches of 200)", push, -(-pairs // 200), naive_push["seconds"] * scale),
        ("nightly pull (incremental)", pull, min_pull, naive_pull["seconds"] * scale),
    ]
    print(
        f"\n{args.agents:,} agents x {args.per_agent} = {pairs:,} pairs, {args.courses} courses, "
        f"{args.latency * 1000:.0f} ms per call, {backend}; enrolments after push: {stats['enrolments']:,}, "
        f"max sends per pair: {stats['max_sends']}; changed overnight: {changed:,} "
        f"({nightly['changed_users']:,} users), completed: {nightly['completed']:,}"
    )
    print(
        "| job | calls | minimum | wall time | peak RSS | naive calls | naive wall time "
        f"(extrapolated from {args.sample:,} pairs) | speed-up |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, result, minimum, naive_seconds in rows:
        ratio = result["calls"] / minimum
        print(
            f"| {name} | {result['calls']:,} ({ratio:.2f}x) | {minimum:,} | {result['seconds']:,.0f} s | "
            f"{result['rss_mb']:.0f} MB | {pairs:,} | {naive_seconds:,.0f} s | "
            f"{naive_seconds / result['seconds']:.0f}x |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "job"])
    parser.add_argument("job", nargs="?", choices=["push", "pull", "naive-push", "naive-pull"])
    parser.add_argument("--agents", type=int, default=130_000)
    parser.add_argument("--per-agent", type=int, default=3)
    parser.add_argument("--courses", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--db", default=os.environ.get("BENCH_DATABASE_URL", "sqlite:////tmp/sync-bench.db"))
    parser.add_argument("--moodle", default="")
    args = parser.parse_args()
    if args.mode == "job":
        job(args)
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()
