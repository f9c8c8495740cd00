"""`flask --app wsgi bridge api-token create|list|revoke`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bridge.api import tokens
from bridge.core.db import get_database

api_token_cli = AppGroup("api-token", help="Tokens of the read-only BI API (/api/v1).")


@api_token_cli.command("create")
@click.option("--name", required=True, help='Who uses it, e.g. "Power BI DGFIP".')
@click.option("--campaign", "campaign_code", default=None, help="Restrict the token to this campaign code.")
def create(name: str, campaign_code: str | None) -> None:
    """Create a token and print it once (only its SHA-256 digest is stored)."""
    with get_database().session_scope() as session:
        try:
            created = tokens.create(session, name, campaign_code)
        except tokens.TokenError as exc:
            raise click.ClickException(str(exc)) from exc
        token_id = created.token.id
    scope = f"campaign {campaign_code}" if campaign_code else "every campaign"
    click.echo(f"Token {token_id} ({name}, {scope}). Copy it now, it will not be shown again:")
    click.echo(created.clear)


@api_token_cli.command("list")
def list_tokens() -> None:
    """List tokens (never their value)."""
    with get_database().session_scope() as session:
        rows = tokens.all_tokens(session)
        if not rows:
            click.echo("No API token.")
        for token, code in rows:
            used = token.last_used_at.strftime("%Y-%m-%d %H:%M") if token.last_used_at else "never"
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            click.echo(
                f"{token.id}\t{token.name}\t{code or 'all campaigns'}\tcreated {token.created_at:%Y-%m-%d}"
                f"\tlast used {used}\t{state}"
            )


@api_token_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID (see `list`): it stops working at once."""
    with get_database().session_scope() as session:
        try:
            token = tokens.revoke(session, token_id)
        except tokens.TokenError as exc:
            raise click.ClickException(str(exc)) from exc
        name = token.name
    click.echo(f"Token {token_id} ({name}) revoked.")
