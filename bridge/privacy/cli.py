"""`flask --app wsgi bridge agent export|erase` and `flask --app wsgi bridge retention run`."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.audit import operations as audit
from bridge.core.db import get_database
from bridge.core.settings_access import get_settings
from bridge.privacy import retention
from bridge.privacy.agents import AgentLookupError, audit_target, find_agent
from bridge.privacy.erase import erase_agent
from bridge.privacy.export import export_agent
from config.database import utcnow

F = TypeVar("F", bound=Callable[..., Any])

agent_cli = AppGroup("agent", help="One agent's personal data: export (access, portability) and erasure.")
retention_cli = AppGroup("retention", help="Delete or pseudonymise what is past its retention period.")


def _actor() -> str:
    """The operator's system account: who ran the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _agent_options(command: F) -> F:
    options = (
        click.option("--platform", "issuer", help="Issuer of the LMS (e.g. https://moodle.example.gouv.fr)."),
        click.option("--client-id", help="Client id, when several registrations share the issuer."),
        click.option("--sub", help="The agent's LTI subject (user id sent by the LMS)."),
        click.option("--external-id", help="The agent's ministry id (for agents imported without sub)."),
    )
    for option in reversed(options):
        command = option(command)
    return command


def _find(
    session: Session, issuer: str | None, client_id: str | None, sub: str | None, external_id: str | None
) -> Agent:
    if sub is not None and issuer is None:
        raise click.ClickException("--sub needs --platform ISSUER (a sub is unique per platform only)")
    if sub is None and external_id is None:
        raise click.ClickException("say who: --platform ISSUER --sub SUB, or --external-id ID")
    try:
        return find_agent(session, issuer=issuer, sub=sub, client_id=client_id, external_id=external_id)
    except AgentLookupError as exc:
        raise click.ClickException(str(exc)) from exc


@agent_cli.command("export")
@_agent_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
def export_command(
    issuer: str | None, client_id: str | None, sub: str | None, external_id: str | None, output: Path | None
) -> None:
    """Write everything stored about one agent as JSON (stdout, or -o FILE)."""
    with get_database().session_scope() as session:
        agent = _find(session, issuer, client_id, sub, external_id)
        data = export_agent(session, agent)
        audit.record(
            session, _actor(), "agent.export", audit_target(agent), to="file" if output else "stdout"
        )
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output is None:
        click.echo(text)
        return
    # Created readable by the operator only: the file holds personal data.
    with os.fdopen(
        os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8"
    ) as out:
        out.write(text + "\n")
    counts = ", ".join(f"{len(v)} {k}" for k, v in data.items() if isinstance(v, list))
    click.echo(f"Agent {data['agent']['id']} exported to {output} ({counts}).")


@agent_cli.command("erase")
@_agent_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_command(
    issuer: str | None, client_id: str | None, sub: str | None, external_id: str | None, yes: bool
) -> None:
    """Erase one agent's identity; keep the pseudonymous facts (the tracker's figures do not change)."""
    with get_database().session_scope() as session:
        agent = _find(session, issuer, client_id, sub, external_id)
        if agent.erased_at is not None:
            click.echo(f"Agent {agent.id} was already erased on {agent.erased_at:%Y-%m-%d}: nothing to do.")
            return
        if not yes:
            click.confirm(
                f"Erase the identity of agent {agent.id}? This cannot be undone. Export it first if it was "
                "asked for.",
                abort=True,
            )
        summary = erase_agent(session, agent)
        audit.record(
            session,
            _actor(),
            "agent.erase",
            audit_target(agent),
            outbox_neutralised=summary.outbox_neutralised,
            scores_neutralised=summary.scores_neutralised,
            feedback_removed=summary.feedback_removed,
        )
    click.echo(summary.describe().capitalize() + ".")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Only count what would be deleted or pseudonymised.")
@click.option(
    "--chunk", default=1000, show_default=True, type=click.IntRange(1, 50_000), help="Rows per transaction."
)
def retention_run(dry_run: bool, chunk: int) -> None:
    """Delete or pseudonymise what is past its retention period (BRIDGE_RETENTION_* settings)."""
    database = get_database()
    now = utcnow()
    with database.sessionmaker() as session:
        runs = retention.plan(session, get_settings(), now)
    for run in runs:
        verb = "to delete" if run.rule.action == "delete" else "to pseudonymise"
        click.echo(
            f"{run.rule.name}: {run.found} {verb} ({run.rule.label}, before {run.cutoff:%Y-%m-%d %H:%M} UTC)"
        )
    if dry_run:
        click.echo(
            f"Dry run: {sum(r.found for r in runs)} row(s) past their retention period, nothing changed."
        )
        return
    for run in runs:
        if not run.found:
            continue
        with click.progressbar(length=run.found, label=run.rule.name) as bar:
            retention.execute(database.session_scope, run, chunk=chunk, progress=bar.update)
    deleted = sum(r.handled for r in runs if r.rule.action == "delete")
    pseudonymised = sum(r.handled for r in runs if r.rule.action == "pseudonymise")
    with database.session_scope() as session:
        audit.record(
            session, _actor(), "retention.run", "", **{r.rule.name: r.handled for r in runs if r.handled}
        )
    click.echo(f"Retention done: {deleted} row(s) deleted, {pseudonymised} agent(s) pseudonymised.")
