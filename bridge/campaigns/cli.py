"""`flask --app wsgi bridge campaign ...` and `flask --app wsgi bridge demo-data`."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import AppGroup

from bridge.campaigns import demo_data
from bridge.campaigns.operations import get_campaign
from bridge.campaigns.population import import_population
from bridge.campaigns.population_file import PopulationInvalid, parse_population
from bridge.core.db import get_database
from bridge.core.settings_access import get_settings
from bridge.tracker import export, stats
from bridge.tracker.filters import Filters
from config.framework import load_framework

campaign_cli = AppGroup("campaign", help="Campaigns: population imports, exports, tracker statistics.")


@campaign_cli.command("import-population")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change, write nothing.")
def import_population_command(code: str, file: Path, dry_run: bool) -> None:
    """Import FILE (CSV: external_id, email, given_name, family_name, directorate, unit) as the target
    population of campaign CODE. Nothing is written when the file has an error."""
    database = get_database()
    with database.session_scope() as session:
        campaign = get_campaign(session, code)
        if campaign is None:
            raise click.ClickException(f"no campaign with code {code!r}: see /admin/campagnes")
        try:
            rows = parse_population(session, file.read_bytes(), campaign)
            label = "Checking" if dry_run else "Importing"
            with click.progressbar(length=len(rows), label=label) as bar:
                summary = import_population(session, campaign, rows, dry_run=dry_run, progress=bar.update)
        except PopulationInvalid as exc:
            session.rollback()
            for error in exc.errors:
                click.echo(str(error), err=True)
            raise click.ClickException(
                f"{len(exc.errors)} error(s) in {file.name}: nothing imported; fix the lines above, run again"
            ) from exc
        if dry_run:
            session.rollback()
        else:
            stats.refresh(session, campaign.id)
    click.echo(("Dry run: " if dry_run else "Imported: ") + summary.line() + ".")


@campaign_cli.command("export")
@click.argument("code", required=False)
@click.option("--all", "all_campaigns", is_flag=True, help="Every campaign in one file (instead of CODE).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write."
)
@click.option(
    "--delimiter", type=click.Choice([";", ","]), default=";", show_default=True, help="CSV separator."
)
@click.option("--directorate", default=None, help="Only this directorate's members.")
@click.option("--unit", default=None, help="Only this unit's members.")
@click.option("--no-email", is_flag=True, help="Leave the e-mail column out.")
def export_command(
    code: str | None,
    all_campaigns: bool,
    fmt: str,
    output: Path,
    delimiter: str,
    directorate: str | None,
    unit: str | None,
    no_email: bool,
) -> None:
    """Export campaign CODE (or --all), one row per member, streamed in constant memory."""
    if bool(code) == all_campaigns:
        raise click.ClickException("give a campaign CODE or --all (not both)")
    database = get_database()
    layout = export.Layout(load_framework().competence_codes, include_email=not no_email)
    filters = Filters(directorate=directorate, unit=unit)
    started = time.perf_counter()
    with database.session_scope() as session:
        ids: list[int] | None = None
        if code:
            campaign = get_campaign(session, code)
            if campaign is None:
                raise click.ClickException(f"no campaign with code {code!r}: see /admin/campagnes")
            ids = [campaign.id]
        total = export.count_members(session, ids, filters)
        with click.progressbar(length=total, label=f"Exporting {code or 'all campaigns'}") as bar:
            if fmt == "xlsx":
                rows = export.write_xlsx(
                    session,
                    ids,
                    filters,
                    layout,
                    str(output),
                    sheet_name=code or "PACNum",
                    progress=bar.update,
                )
            else:
                rows = 0
                with output.open("wb") as handle:
                    for chunk in export.stream_csv(session, ids, filters, layout, delimiter=delimiter):
                        handle.write(chunk)
                        done = chunk.count(b"\n")
                        rows += done
                        bar.update(done)
                rows -= 1  # the header line
    seconds = time.perf_counter() - started
    click.echo(f"Exported {rows} rows to {output} ({fmt}, {seconds:.1f} s).")


@campaign_cli.command("refresh-stats")
@click.argument("code", required=False)
def refresh_stats_command(code: str | None) -> None:
    """Recompute the level and progress statistics of campaign CODE (all campaigns without CODE).
    Schedule it (e.g. every 15 minutes) so the tracker's levels stay current."""
    database = get_database()
    started = time.perf_counter()
    with database.session_scope() as session:
        if code:
            campaign = get_campaign(session, code)
            if campaign is None:
                raise click.ClickException(f"no campaign with code {code!r}")
            stats.refresh(session, campaign.id)
            count = 1
        else:
            count = stats.refresh_all(session)
    click.echo(f"Statistics of {count} campaign(s) recomputed in {time.perf_counter() - started:.1f} s.")


@click.command("demo-data")
@click.option("--agents", "n_agents", type=click.IntRange(1, 1_000_000), default=2000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--replace", is_flag=True, help="Delete the previous demo campaigns and agents first.")
def demo_data_command(n_agents: int, seed: int, replace: bool) -> None:
    """Fill a realistic demo programme (DEMO-* campaigns of the four directorates) to see the tracker
    at scale: agents, funnel dates, assessments, recommendations of the stored catalogue."""
    if get_settings().is_production:
        raise click.ClickException("demo data cannot be loaded in production")
    database = get_database()
    started = time.perf_counter()
    with database.session_scope() as session:
        try:
            with click.progressbar(length=n_agents, label="Generating agents") as bar:
                summary = demo_data.generate(
                    session, load_framework(), n_agents, seed=seed, replace=replace, progress=bar.update
                )
        except demo_data.DemoDataExists as exc:
            raise click.ClickException(
                "demo campaigns already exist: run again with --replace to delete and regenerate them"
            ) from exc
    demo_data.vacuum_analyze(database.engine)
    click.echo(f"Demo data: {summary.line()} ({time.perf_counter() - started:.0f} s).")
