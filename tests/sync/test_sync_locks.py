"""The database job lock: racing processes and threads, expiry, dead holders, and the scheduler."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import inspect, select, text, update

from config.crypto import SecretBox
from config.database import Database, utcnow
from config.settings import PROJECT_ROOT
from sync import locks, scheduler
from sync.models import SchedulerHeartbeat, SyncLock, SyncRun
from sync.runner import run_job
from sync.services import SyncServices
from tests.fakes.moodle import FakeMoodle
from tests.support.sync_seed import AgentSpec, seed_connection, seed_enrolments
from tests.sync.conftest import SYNC_TOKEN
from tests.sync.test_sync_faults import _flask, _subprocess_env

TTL = timedelta(minutes=5)


def test_exactly_one_of_racing_threads_gets_the_lock(database: Database, app: object) -> None:
    barrier = threading.Barrier(8)
    won: list[locks.JobLock] = []
    busy: list[locks.LockBusyError] = []

    def contender() -> None:
        barrier.wait()
        try:
            won.append(locks.acquire(database, "push", TTL))
        except locks.LockBusyError as exc:
            busy.append(exc)

    threads = [threading.Thread(target=contender) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(won), len(busy)) == (1, 7)
    won[0].release(database)
    again = locks.acquire(database, "push", TTL)
    again.release(database)


def test_expired_lock_is_taken_over_and_the_old_holder_notices(database: Database, app: object) -> None:
    old = locks.acquire(database, "pull", TTL, owner="elsewhere:1:a")
    with database.engine.begin() as conn:
        conn.execute(update(SyncLock).values(expires_at=utcnow() - timedelta(seconds=1)))
    new = locks.acquire(database, "pull", TTL)
    assert new.owner != old.owner
    with database.session_scope() as session, pytest.raises(locks.LockLostError):
        old.heartbeat(session)
    new.release(database)


def test_lock_of_a_dead_process_on_this_host_is_taken_at_once(database: Database, app: object) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    owner = f"{os.uname().nodename}:{dead.stdout.strip()}:x"
    locks.acquire(database, "grades", TTL, owner=owner)
    alive = locks.acquire(database, "grades", TTL)  # not expired, but its holder is gone
    assert alive.owner != owner
    alive.release(database)


def test_two_cli_runs_at_once_only_one_runs(
    database: Database, services: SyncServices, box: SecretBox, moodle: FakeMoodle, tmp_path: Path
) -> None:
    users = [moodle.add_user(f"agent{i}") for i in range(40)]
    platform_id, connection_id = seed_connection(
        database, box, base_url=moodle.url, token=SYNC_TOKEN, batch_size=5, max_parallel=1
    )
    seed_enrolments(
        database,
        platform_id=platform_id,
        connection_id=connection_id,
        agents=[AgentSpec(sub=str(u), lms_user_id=u) for u in users],
        courses=[500],
    )
    moodle.latency = 0.1
    env = _subprocess_env(database, tmp_path)
    procs = [
        subprocess.Popen(_flask("sync", "run", "push"), cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    outputs = [p.communicate(timeout=60) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 1], outputs
    assert any("push is already running" in err for _, err in outputs)
    assert set(moodle.state.enrol_sends.values()) == {1}
    assert len(moodle.state.enrol_sends) == 40
    with database.session_scope() as session:
        assert len(list(session.scalars(select(SyncRun)))) == 1


def test_scheduler_uses_the_migrated_job_store_and_beats(database: Database, services: SyncServices) -> None:
    assert "apscheduler_jobs" in inspect(database.engine).get_table_names()
    background = scheduler.build_scheduler(services, BackgroundScheduler())
    heartbeat = scheduler.Heartbeat(services, background)
    heartbeat.install()
    background.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with database.session_scope() as session:
                beat = session.get(SchedulerHeartbeat, heartbeat.owner)
                if beat is not None:
                    break
            time.sleep(0.05)
        assert beat is not None
        assert set(beat.next_runs) == {"sync-push", "sync-pull", "sync-grades", "sync-stats"}
        jobs = {job.id: job for job in background.get_jobs(jobstore="default")}
        push = jobs["sync-push"]
        assert (push.max_instances, push.coalesce, push.misfire_grace_time) == (1, True, 3600)
        assert str(push.trigger.timezone) == "Europe/Paris"
        assert push.next_run_time.hour == 1
        assert push.next_run_time.minute == 0
        with database.engine.connect() as conn:
            stored = conn.execute(text("SELECT id FROM apscheduler_jobs ORDER BY id")).scalars().all()
        assert stored == ["sync-grades", "sync-pull", "sync-push", "sync-stats"]
    finally:
        background.shutdown(wait=False)
        heartbeat.stopped()
    with database.session_scope() as session:
        row = session.get(SchedulerHeartbeat, heartbeat.owner)
        assert row is not None
        assert row.stopped_at is not None
        session.execute(text("DELETE FROM apscheduler_jobs"))


def test_scheduled_run_skips_a_job_running_elsewhere(database: Database, services: SyncServices) -> None:
    held = locks.acquire(database, "grades", TTL, owner="other-host:1:x")
    scheduler._services = services
    try:
        scheduler.scheduled_run("grades")  # logs and returns
    finally:
        scheduler._services = None
        held.release(database)
    with database.session_scope() as session:
        assert list(session.scalars(select(SyncRun))) == []


def test_run_of_a_dead_holder_is_marked_interrupted(database: Database, services: SyncServices) -> None:
    with database.session_scope() as session:
        run = SyncRun(job="grades", status="running", progress={})
        session.add(run)
        session.flush()
        run_id = run.id
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    lock = locks.acquire(database, "grades", TTL, owner=f"{os.uname().nodename}:{dead.stdout.strip()}:x")
    with database.session_scope() as session:
        lock.heartbeat(session, run_id)
    result = run_job(services, "grades")  # took the dead holder's lock over, then ran (nothing queued)
    assert result.status == "ok"
    with database.session_scope() as session:
        old = session.get(SyncRun, run_id)
        assert old is not None
        assert old.status == "interrupted"
        assert session.get(SyncLock, "grades") is None
