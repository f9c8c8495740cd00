"""`flask --app wsgi bridge admin create|list|set-password|unlock|deactivate|activate`: local admin accounts.

Passwords are prompted twice with hidden input, or read from BRIDGE_ADMIN_PASSWORD (automation).
"""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from bridge.auth import operations
from bridge.auth.messages import cli_message
from bridge.auth.models import ADMIN_ROLES, AdminUser
from bridge.core.db import get_database
from config.database import utcnow

PASSWORD_ENV = "BRIDGE_ADMIN_PASSWORD"  # noqa: S105 - the name of a variable, not a password
CLI_ACTOR = "cli"

admin_cli = AppGroup("admin", help="Local accounts of the admin console.")


def _read_password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    return password


def _get_user(session: Session, username: str) -> AdminUser:
    user = operations.find_admin(session, username)
    if user is None:
        raise click.ClickException(
            f"no admin account named {operations.normalise_username(username)!r} "
            "(see `flask --app wsgi bridge admin list`)"
        )
    return user


@admin_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ADMIN_ROLES), default="full", show_default=True,
              help="full: every console page; read: the campaign tracker only.")  # fmt: skip
@click.option("--display-name", default="", help="Name shown in the console header.")
def create(username: str, role: str, display_name: str) -> None:
    """Create the local admin account USERNAME (password prompted, or from BRIDGE_ADMIN_PASSWORD)."""
    password = _read_password()
    try:
        with get_database().session_scope() as session:
            user = operations.create_admin(
                session, username=username, password=password, role=role, display_name=display_name,
                actor=CLI_ACTOR,
            )  # fmt: skip
            summary = f"Admin account {user.username!r} created (id {user.id}, role {user.role})."
    except operations.AdminAccountError as exc:
        raise click.ClickException(f"account not created: {cli_message(exc)}") from None
    click.echo(summary)


@admin_cli.command("list")
def list_() -> None:
    """List the local admin accounts."""
    now = utcnow()
    with get_database().session_scope() as session:
        users = operations.list_admins(session)
        if not users:
            click.echo("No admin account yet: create one with `flask --app wsgi bridge admin create NAME`.")
            return
        click.echo(f"{'id':>4}  {'username':<24} {'role':<5} {'state':<9} last login")
        for user in users:
            state = "inactive" if not user.active else "locked" if user.is_locked(now) else "active"
            last = user.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if user.last_login_at else "never"
            click.echo(f"{user.id:>4}  {user.username:<24} {user.role:<5} {state:<9} {last}")
        click.echo(f"{len(users)} account(s).")


@admin_cli.command("set-password")
@click.argument("username")
def set_password(username: str) -> None:
    """Set a new password for USERNAME (also lifts a lockout and ends the account's sessions)."""
    with get_database().session_scope() as session:
        user = _get_user(session, username)
        password = _read_password()
        try:
            operations.set_password(session, user, password, actor=CLI_ACTOR)
        except operations.AdminAccountError as exc:
            raise click.ClickException(f"password not changed: {cli_message(exc)}") from None
        name = user.username
    click.echo(f"Password of {name!r} changed; its open sessions are closed.")


@admin_cli.command("unlock")
@click.argument("username")
def unlock(username: str) -> None:
    """Lift the lockout of USERNAME after repeated failed logins."""
    with get_database().session_scope() as session:
        user = _get_user(session, username)
        operations.unlock(session, user, actor=CLI_ACTOR)
        name = user.username
    click.echo(f"Account {name!r} unlocked.")


@admin_cli.command("deactivate")
@click.argument("username")
def deactivate(username: str) -> None:
    """Deactivate USERNAME: it can no longer log in, and its open sessions end."""
    with get_database().session_scope() as session:
        user = _get_user(session, username)
        try:
            operations.deactivate(session, user, actor=CLI_ACTOR)
        except operations.AdminAccountError as exc:
            raise click.ClickException(f"account not deactivated: {cli_message(exc)}") from None
        name = user.username
    click.echo(f"Account {name!r} deactivated.")


@admin_cli.command("activate")
@click.argument("username")
def activate(username: str) -> None:
    """Reactivate USERNAME (and lift any lockout)."""
    with get_database().session_scope() as session:
        user = _get_user(session, username)
        operations.activate(session, user, actor=CLI_ACTOR)
        name = user.username
    click.echo(f"Account {name!r} activated.")
