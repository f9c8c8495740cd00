"""Command-line interface: `flask --app wsgi <group> <command>`.

Groups: ``db`` (migrations), ``bridge`` (the product's own commands). The ``lti`` and ``sync`` groups
are defined by their packages and registered here.
"""

from __future__ import annotations

import base64
import secrets

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from bridge.api.cli import api_token_cli
from bridge.assessment.cli import items_cli
from bridge.assessment.store import ensure_default_bank
from bridge.auth.cli import admin_cli
from bridge.campaigns.cli import campaign_cli, demo_data_command
from bridge.catalog.cli import catalog_cli
from bridge.core.db import get_database
from bridge.core.settings_access import get_settings
from bridge.demo import DEMO_SEEDERS
from bridge.ops.cli import doctor_command, rotate_encryption_command
from bridge.privacy.cli import agent_cli, retention_cli
from config import migrate

db_cli = AppGroup("db", help="Database migrations (Alembic).")
bridge_cli = AppGroup("bridge", help="pacnum-bridge commands: data, campaigns, agents, admins.")
bridge_cli.add_command(items_cli)
bridge_cli.add_command(catalog_cli)
bridge_cli.add_command(agent_cli)
bridge_cli.add_command(retention_cli)
bridge_cli.add_command(doctor_command)
bridge_cli.add_command(rotate_encryption_command)
bridge_cli.add_command(admin_cli)
bridge_cli.add_command(campaign_cli)
bridge_cli.add_command(api_token_cli)
bridge_cli.add_command(demo_data_command)


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    database = get_database()
    migrate.upgrade(database.url, revision)
    click.echo(f"Database at {', '.join(sorted(migrate.current_revisions(database.engine))) or 'base'}.")


@db_cli.command("downgrade")
@click.option("--revision", required=True, help="Target revision ('base' removes every table).")
@click.confirmation_option(prompt="Downgrading can delete data. Continue?")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    database = get_database()
    migrate.downgrade(database.url, revision)
    click.echo(f"Database at {', '.join(sorted(migrate.current_revisions(database.engine))) or 'base'}.")


@db_cli.command("current")
def db_current() -> None:
    """Show the current and latest revisions."""
    database = get_database()
    current = migrate.current_revisions(database.engine)
    heads = migrate.head_revisions(database.url)
    click.echo(f"current: {', '.join(sorted(current)) or 'base'}")
    click.echo(f"head:    {', '.join(sorted(heads))}")
    if current != heads:
        raise click.ClickException(
            "the database is not at the latest migration: run `flask --app wsgi db upgrade`"
        )


@bridge_cli.command("generate-keys")
def generate_keys() -> None:
    """Print fresh BRIDGE_SECRET_KEY and BRIDGE_ENCRYPTION_KEY values for a .env file."""
    click.echo(f"BRIDGE_SECRET_KEY={secrets.token_urlsafe(48)}")
    click.echo(f"BRIDGE_ENCRYPTION_KEY={base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}")


@bridge_cli.command("setup")
@click.option("--demo/--no-demo", default=False, help="Also load the demo data (development only).")
def setup(demo: bool) -> None:
    """Bring the database to the latest migration, import the shipped item bank when none is stored
    and, with --demo, load the demo data."""
    database = get_database()
    migrate.upgrade(database.url)
    revision = ", ".join(sorted(migrate.current_revisions(database.engine)))
    click.echo(f"Database ready ({database.backend}, revision {revision}).")
    with database.session_scope() as session:
        imported = ensure_default_bank(session, current_app.extensions["bridge.assessment_runtime"].framework)
    if imported is not None:
        click.echo(f"Shipped item bank imported: {imported}.")
    if demo:
        settings = get_settings()
        if settings.is_production:
            raise click.ClickException("demo data cannot be loaded in production")
        for name, seeder in DEMO_SEEDERS:
            with database.session_scope() as session:
                summary = seeder(session, settings)
            click.echo(f"Demo {name}: {summary}")


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(bridge_cli)
