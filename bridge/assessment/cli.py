"""`flask --app wsgi bridge items check|import|export`: the item bank in and out of the database."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from bridge.assessment.bank import check_bank
from bridge.assessment.store import DEFAULT_BANK_DIR, export_directory, import_directory
from bridge.core.db import get_database
from config.framework import Framework


def _framework() -> Framework:
    """The framework the app runs with (BRIDGE_FRAMEWORK_PATH or the shipped one)."""
    framework: Framework = current_app.extensions["bridge.assessment_runtime"].framework
    return framework


items_cli = AppGroup("items", help="The assessment item bank: check, import, export.")

_DIR = click.Path(path_type=Path, file_okay=False)


@items_cli.command("check")
@click.argument("directory", type=_DIR, default=DEFAULT_BANK_DIR)
def check(directory: Path) -> None:
    """Validate the bank files in DIRECTORY (default: the shipped bank)."""
    errors = check_bank(directory, _framework())
    if errors:
        for error in errors:
            click.echo(str(error), err=True)
        raise click.ClickException(f"{len(errors)} error(s) in the item bank {directory}")
    click.echo(f"Item bank {directory} is valid.")


@items_cli.command("import")
@click.argument("directory", type=_DIR, default=DEFAULT_BANK_DIR)
@click.option("--deactivate-missing", is_flag=True, help="Deactivate stored items absent from DIRECTORY.")
def import_(directory: Path, deactivate_missing: bool) -> None:
    """Import (add or update) the bank files of DIRECTORY. Nothing is written if any file is invalid."""
    framework = _framework()
    errors = check_bank(directory, framework)
    if errors:
        for error in errors:
            click.echo(str(error), err=True)
        raise click.ClickException(f"nothing imported: {len(errors)} error(s) in {directory}")
    with get_database().session_scope() as session:
        summary = import_directory(session, directory, framework, deactivate_missing=deactivate_missing)
    click.echo(f"Items imported from {directory}: {summary}.")


@items_cli.command("export")
@click.argument("directory", type=_DIR)
@click.option("--active-only", is_flag=True, help="Leave out deactivated items.")
def export(directory: Path, active_only: bool) -> None:
    """Write the stored bank to DIRECTORY, one YAML file per competence."""
    with get_database().session_scope() as session:
        count = export_directory(session, directory, include_inactive=not active_only)
    click.echo(f"{count} items exported to {directory}.")
