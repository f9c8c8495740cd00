"""`flask --app wsgi bridge catalog import|export`: the training catalogue as CSV or YAML files."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup

from bridge.catalog.formats import (
    FORMATS,
    CatalogFileError,
    detect_format,
    read_catalogue,
    write_csv,
    write_yaml,
)
from bridge.catalog.importer import export_rows, import_catalogue
from bridge.catalog.lms_check import LmsCheckUnavailableError, client_factory
from bridge.core.db import get_database
from bridge.core.settings_access import get_settings
from config.crypto import SecretBox

catalog_cli = AppGroup("catalog", help="Training catalogue: import and export (CSV or YAML).")


@catalog_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check everything and report, write nothing.")
@click.option(
    "--check-lms", is_flag=True, help="Check that each Moodle course exists (needs an LMS connection)."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from the file extension.")
def import_command(file: Path, dry_run: bool, check_lms: bool, fmt: str | None) -> None:
    """Create or update trainings from FILE (by code). Nothing is written when any entry is wrong."""
    settings = get_settings()
    try:
        fmt = fmt or detect_format(file.name)
        text = file.read_text(encoding="utf-8-sig")
        entries = read_catalogue(text, fmt, ZoneInfo(settings.timezone))
    except CatalogFileError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: not UTF-8 text; save it as UTF-8 and try again") from None
    database = get_database()
    lms_client = client_factory(SecretBox(settings.encryption_keys())) if check_lms else None
    with (
        database.session_scope() as session,
        click.progressbar(length=len(entries), label="Importing") as bar,
    ):
        try:
            report = import_catalogue(
                session, entries, dry_run=dry_run, lms_client=lms_client, progress=bar.update
            )
        except LmsCheckUnavailableError as exc:
            raise click.ClickException(f"--check-lms: {exc}") from None
        if dry_run or not report.ok:
            session.rollback()
    for problem in report.errors:
        click.echo(f"{file}: {problem}", err=True)
    if not report.ok:
        raise click.ClickException(report.summary())
    click.echo(("[dry run] " if dry_run else "") + report.summary())


@catalog_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="yaml", show_default=True)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: standard output."
)
def export_command(fmt: str, output: Path | None) -> None:
    """Write every training (active or not) as CSV or YAML; the file imports back unchanged."""
    zone = ZoneInfo(get_settings().timezone)
    with get_database().session_scope() as session:
        rows = export_rows(session)
    text = write_csv(rows, zone) if fmt == "csv" else write_yaml(rows, zone)
    if output is None:
        click.echo(text.removeprefix("\ufeff"), nl=False)
        return
    output.write_text(text, encoding="utf-8", newline="")
    click.echo(f"{len(rows)} training(s) written to {output}.", err=True)
