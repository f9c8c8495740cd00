"""`flask --app wsgi sync ...`: connect Moodle, check it, run jobs, list runs, start the scheduler.

The app factory calls ``init_app(app, services)`` with the SyncServices it built (bridge wires its port).
"""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from sync import connections, locks, runner, scheduler
from sync.models import LmsConnection, SyncRun
from sync.moodle.connection import REQUIRED_FUNCTIONS
from sync.moodle.errors import MoodleError
from sync.services import SyncServices

EXTENSION_KEY = "sync.services"

sync_cli = AppGroup("sync", help="Moodle sync: connections, jobs, runs, scheduler (docs/sync.md).")


def init_app(app: Flask, services: SyncServices) -> None:
    app.extensions[EXTENSION_KEY] = services
    app.cli.add_command(sync_cli)


def get_services(app: Flask | None = None) -> SyncServices:
    services: SyncServices = (app or current_app).extensions[EXTENSION_KEY]
    return services


@sync_cli.command("connect")
@click.option("--platform", "issuer", help="Issuer of the LTI platform this Moodle is (omit for none).")
@click.option("--client-id", help="Client id, when several registrations share the issuer.")
@click.option("--url", required=True, help="Base URL of the Moodle site, e.g. https://moodle.example.gouv.fr")
@click.option("--token", prompt=True, hide_input=True, help="Web-service token (asked when omitted).")
@click.option("--strategy", type=click.Choice(connections.STRATEGIES), default="manual", show_default=True)
@click.option("--name", default="", help="A name shown on the admin pages.")
def connect(
    issuer: str | None, client_id: str | None, url: str, token: str, strategy: str, name: str
) -> None:
    """Save a Moodle web-service connection (token encrypted) and check it."""
    services = get_services()
    with services.database.session_scope() as session:
        platform_id = None
        if issuer:
            platforms = services.find_platforms(session, issuer, client_id)
            if not platforms:
                raise click.ClickException(
                    f"no LTI platform is registered with issuer {issuer!r}"
                    + (f" and client id {client_id!r}" if client_id else "")
                    + ": register the platform first, or omit --platform"
                )
            if len(platforms) > 1:
                ids = ", ".join(p.client_id for p in platforms)
                raise click.ClickException(
                    f"several platforms use issuer {issuer!r}: add --client-id (one of {ids})"
                )
            platform_id = platforms[0].id
        try:
            connection = connections.save_connection(
                session,
                services,
                platform_id=platform_id,
                url=url,
                token=token,
                name=name,
                enrol_strategy=strategy,
            )
            session.flush()
            report = connections.check(session, services, connection)
        except connections.ConnectionInputError as exc:
            raise click.ClickException(str(exc)) from None
        except MoodleError as exc:
            session.rollback()
            raise click.ClickException(
                f"Moodle at {url} refused the connection, nothing saved: {exc}"
            ) from None
        connection_id = connection.id
    click.echo(f"Connection #{connection_id} saved: {report.sitename}, Moodle {report.release}.")
    _report_missing(sorted(report.missing_functions))


def _report_missing(missing: list[str]) -> None:
    if not missing:
        click.echo(f"The token's service has all {len(REQUIRED_FUNCTIONS)} functions the bridge needs.")
        return
    click.echo("The token's service lacks these functions (add them in Site administration > Server >")
    click.echo("Web services > External services > the service > Functions):")
    for name in missing:
        click.echo(f"  - {name}")
    raise SystemExit(1)


def _connections(
    session: Any, services: SyncServices, issuer: str | None, connection_id: int | None
) -> list[LmsConnection]:
    stmt = select(LmsConnection).order_by(LmsConnection.id)
    if connection_id is not None:
        stmt = stmt.where(LmsConnection.id == connection_id)
    if issuer:
        ids = [p.id for p in services.find_platforms(session, issuer, None)]
        stmt = stmt.where(LmsConnection.platform_id.in_(ids))
    found = list(session.scalars(stmt))
    if not found:
        raise click.ClickException(
            "no LMS connection matches: create one with `flask --app wsgi sync connect`"
        )
    return found


@sync_cli.command("check")
@click.option("--platform", "issuer", help="Only the connection of this platform issuer.")
@click.option("--connection", "connection_id", type=int, help="Only this connection id.")
def check(issuer: str | None, connection_id: int | None) -> None:
    """Show each connection's Moodle release and the functions its token's service lacks (exit 1 if any)."""
    services = get_services()
    problems = 0
    with services.database.session_scope() as session:
        for connection in _connections(session, services, issuer, connection_id):
            label = f"#{connection.id} {connection.name} ({connection.base_url})"
            try:
                report = connections.check(session, services, connection)
            except MoodleError as exc:
                click.echo(f"{label}: FAILED - {exc}")
                problems += 1
                continue
            missing = sorted(report.missing_functions)
            click.echo(f"{label}: Moodle {report.release}, {len(missing)} missing function(s)")
            for name in missing:
                click.echo(f"  - {name}")
            problems += bool(missing)
    if problems:
        raise SystemExit(1)


class _Progress:
    """Draws one click progress bar per job phase from JobContext.phase() calls."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._phase = ""
        self._done = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self._phase:
            self.close()
            self._bar = click.progressbar(length=max(total, 1), label=phase, file=sys.stderr)
            self._bar.__enter__()
            self._phase, self._done = phase, 0
        self._bar.length = max(total, done, 1)
        self._bar.update(max(0, done - self._done))
        self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


WORDS = {
    "match": ("matched", "pulled", "unmatched"),
    "push": ("enrolled", "pushed", "skipped"),
    "pull": ("completed", "pulled", "skipped"),
    "grades": ("sent", "pushed", "to retry"),
    "stats": ("campaigns refreshed", "pulled", "skipped"),
}


def summary(result: runner.RunResult) -> str:
    done_word, done_field, skipped_word = WORDS[result.job]
    done = getattr(result, done_field)
    prefix = "(dry run) " if result.dry_run else ""
    line = (
        f"{prefix}{result.job}: {done:,} {done_word}, {result.failed:,} failed, "
        f"{result.skipped:,} {skipped_word} in {result.seconds:,.0f} s ({result.calls:,} calls)"
    )
    extra = {
        k: result.progress[k]
        for k in ("strategy", "would_push", "would_complete", "would_send", "uncertain")
        if k in result.progress
    }
    if extra:
        line += " - " + ", ".join(f"{k}: {v}" for k, v in extra.items())
    return line


@sync_cli.command("run")
@click.argument("job", type=click.Choice([*runner.JOBS, "all"]))
@click.option("--dry-run", is_flag=True, help="Compute and report; write nothing to Moodle or to the outbox.")
@click.option("--connection", "connection_id", type=int, help="Only this connection id.")
def run(job: str, dry_run: bool, connection_id: int | None) -> None:
    """Run a job now: match, push, pull, grades, or all of them in that order."""
    services = get_services()
    jobs = list(runner.JOBS) if job == "all" else [job]
    failed = False
    for name in jobs:
        progress = _Progress()
        try:
            result = runner.run_job(
                services, name, dry_run=dry_run, connection_id=connection_id, on_progress=progress
            )
        except locks.LockBusyError as busy:
            progress.close()
            if job != "all":
                raise click.ClickException(str(busy)) from None
            click.echo(f"{name}: skipped, {busy}")
            continue
        progress.close()
        click.echo(summary(result))
        if result.error:
            click.echo(f"  error: {result.error}", err=True)
        errors = result.progress.get("errors", [])
        for message in errors[:10] if isinstance(errors, list) else []:
            if message != result.error:
                click.echo(f"  - {message}", err=True)
        failed = failed or result.status == "failed"
    if failed:
        raise SystemExit(1)


@sync_cli.command("runs")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--job", type=click.Choice(runner.JOBS))
def runs(limit: int, job: str | None) -> None:
    """The latest runs, newest first."""
    services = get_services()
    with services.database.session_scope() as session:
        stmt = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc()).limit(limit)
        if job:
            stmt = stmt.where(SyncRun.job == job)
        rows = list(session.scalars(stmt))
        if not rows:
            click.echo("No runs yet.")
            return
        click.echo(
            f"{'id':>6}  {'started (UTC)':19}  {'job':7} {'trigger':8} {'status':11} "
            f"{'pushed':>8} {'pulled':>8} {'skipped':>8} {'failed':>7} {'calls':>7}  error"
        )
        for r in rows:
            mark = " (dry)" if r.dry_run else ""
            click.echo(
                f"{r.id:>6}  {r.started_at:%Y-%m-%d %H:%M:%S}  {r.job:7} {r.trigger:8} {r.status + mark:11} "
                f"{r.pushed:>8,} {r.pulled:>8,} {r.skipped:>8,} {r.failed:>7,} {r.calls:>7,}  "
                f"{(r.error or '')[:80]}"
            )


@sync_cli.command("scheduler")
def run_scheduler() -> None:
    """Run the scheduler in this process (one per site; see docs/sync.md for the systemd unit)."""
    services = get_services()
    settings = services.settings
    click.echo(
        f"Scheduler starting (time zone {settings.timezone}): push '{settings.sync_push_cron}', "
        f"pull '{settings.sync_pull_cron}', grades '{settings.sync_grades_cron}'."
    )
    scheduler.serve(services)
