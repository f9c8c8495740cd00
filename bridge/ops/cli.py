"""`flask --app wsgi bridge doctor` and `flask --app wsgi bridge rotate-encryption`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from bridge.audit import operations as audit
from bridge.core.db import get_database
from bridge.core.settings_access import get_settings
from bridge.ops.checks import Status
from bridge.ops.doctor import run_checks
from bridge.ops.rotation import rotate_all, scan
from config.crypto import SecretDecryptionError


@click.command("doctor")
@with_appcontext
@click.option("--skip-lms", is_flag=True, help="Do not call the LMS web services.")
def doctor_command(skip_lms: bool) -> None:
    """Check this deployment end to end: one line per check, exit 1 when a check fails."""
    counts = dict.fromkeys(Status, 0)
    for check in run_checks(current_app, lms=not skip_lms):
        counts[check.status] += 1
        colour = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "red"}[check.status]
        click.echo(click.style(f"{check.status.value:<4}", fg=colour) + f" {check.name}: {check.detail}")
    click.echo(f"{counts[Status.OK]} ok, {counts[Status.WARN]} warning(s), {counts[Status.FAIL]} failure(s).")
    if counts[Status.FAIL]:
        raise SystemExit(1)


@click.command("rotate-encryption")
@with_appcontext
def rotate_encryption_command() -> None:
    """Re-encrypt every stored secret with the first key of BRIDGE_ENCRYPTION_KEY."""
    keys = get_settings().encryption_keys()
    with get_database().session_scope() as session:
        before = scan(session, keys)
        try:
            rotated = rotate_all(session, keys)
        except SecretDecryptionError as exc:
            raise click.ClickException(str(exc)) from exc
        audit.record(session, "cli", "secrets.rotate", "", rotated=rotated, were_on_older_key=before.older)
    click.echo(
        f"Re-encrypted {rotated} stored secret(s) with the first key ({before.older} were under an older "
        f"key). Once every node runs with the new key first, remove the old key from BRIDGE_ENCRYPTION_KEY."
    )
