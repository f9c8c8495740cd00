"""``flask --app wsgi lti ...``: register platforms by hand, approve deployments, print the tool's URLs,
issue one-time registration links, rotate the tool's keys."""

from __future__ import annotations

import getpass

import click
from flask.cli import AppGroup

from lti import keys, registry
from lti import registration_links as links
from lti.current import get_runtime
from lti.runtime import ToolUrls

lti_cli = AppGroup("lti", help="LTI 1.3: platforms, deployments, tool URLs and keys.")


def _print_urls(urls: ToolUrls) -> None:
    click.echo(f"Tool URL / redirection URI (launch): {urls.launch}")
    click.echo(f"Initiate login URL:                  {urls.login}")
    click.echo(f"Public keyset URL (JWKS):            {urls.jwks}")
    click.echo(f"Dynamic registration URL:            {urls.register} (allowed hosts only; else a link)")
    click.echo(f"Domain:                              {urls.domain}")


@lti_cli.command("urls")
def urls_command() -> None:
    """Print the URLs an LMS administrator pastes into the LMS."""
    _print_urls(get_runtime().urls)


@lti_cli.command("platform-add")
@click.option(
    "--issuer", required=True, help="Platform issuer (Moodle: its wwwroot, e.g. https://moodle.example.fr)."
)
@click.option("--client-id", required=True, help="Client ID given by the platform for this tool.")
@click.option(
    "--auth-login-url", required=True, help="Authentication request URL (Moodle: <wwwroot>/mod/lti/auth.php)."
)
@click.option(
    "--auth-token-url", required=True, help="Access token URL (Moodle: <wwwroot>/mod/lti/token.php)."
)
@click.option("--key-set-url", required=True, help="Public keyset URL (Moodle: <wwwroot>/mod/lti/certs.php).")
@click.option(
    "--deployment-id",
    "deployment_ids",
    multiple=True,
    help="Deployment ID (Moodle: the tool's type id). Repeat for several. Added active.",
)
@click.option("--name", default="", help="A name for the administrators' pages.")
@click.option(
    "--auth-audience", default=None, help="Audience of the token assertion, when not the token URL."
)
@click.option("--product-family", default="", help="moodle, canvas, ... (Moodle user ids are then recorded).")
def platform_add(
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    deployment_ids: tuple[str, ...],
    name: str,
    auth_audience: str | None,
    product_family: str,
) -> None:
    """Register a platform by hand (or update its endpoints), with its deployments."""
    runtime = get_runtime()
    with runtime.database.session_scope() as session:
        try:
            platform, created = registry.save_platform(
                session,
                registry.PlatformInput(
                    issuer=issuer,
                    client_id=client_id,
                    auth_login_url=auth_login_url,
                    auth_token_url=auth_token_url,
                    key_set_url=key_set_url,
                    name=name,
                    auth_audience=auth_audience,
                    product_family=product_family
                    or ("moodle" if auth_login_url.rstrip("/").endswith("/mod/lti/auth.php") else ""),
                ),
            )
            for deployment_id in deployment_ids:
                registry.add_deployment(session, platform, deployment_id, active=True)
        except registry.RegistryError as exc:
            raise click.ClickException(str(exc)) from exc
        keys.ensure_active_key(session, runtime.secret_box)
        runtime.record(
            session,
            "lti.platform_registered",
            f"platform:{platform.id}",
            issuer=platform.issuer,
            client_id=platform.client_id,
            method="manual",
        )
        verb = "registered" if created else "updated"
        summary = f"Platform {platform.id} {verb}: {platform.issuer} (client {platform.client_id})"
        summary += f", {len(deployment_ids)} deployment(s) active."
    click.echo(summary)
    click.echo("Paste these into the platform's tool configuration:")
    _print_urls(runtime.urls)


@lti_cli.command("platforms")
def platforms_command() -> None:
    """List the registered platforms."""
    with get_runtime().database.session_scope() as session:
        rows = registry.list_platforms(session)
        for p in rows:
            state = "active" if p.active else "disabled"
            click.echo(f"{p.id:>4}  {p.issuer}  client={p.client_id}  {p.registered_by}  {state}  {p.name}")
        click.echo(f"{len(rows)} platform(s).")


@lti_cli.command("deployments")
@click.option("--pending", is_flag=True, help="Only the deployments waiting for approval.")
def deployments_command(pending: bool) -> None:
    """List the deployments (pending ones first need `lti deployment-approve`)."""
    with get_runtime().database.session_scope() as session:
        rows = registry.pending_deployments(session) if pending else registry.list_deployments(session)
        for d in rows:
            if d.active:
                status = "active"
            elif d.approved_at is None:
                status = "PENDING"
            else:
                status = "deactivated"
            click.echo(
                f"{d.platform.issuer}  client={d.platform.client_id}  deployment={d.deployment_id}  {status}"
            )
        click.echo(f"{len(rows)} deployment(s).")


def _set_active(issuer: str, deployment_id: str, client_id: str | None, *, active: bool) -> None:
    runtime = get_runtime()
    with runtime.database.session_scope() as session:
        try:
            deployment = registry.set_deployment_active(
                session, issuer, deployment_id, active=active, client_id=client_id
            )
        except registry.RegistryError as exc:
            raise click.ClickException(str(exc)) from exc
        action = "lti.deployment_approved" if active else "lti.deployment_deactivated"
        runtime.record(session, action, f"platform:{deployment.platform_id}", deployment_id=deployment_id)
    click.echo(f"Deployment {deployment_id} of {issuer} {'approved' if active else 'deactivated'}.")


@lti_cli.command("deployment-approve")
@click.argument("issuer")
@click.argument("deployment_id")
@click.option("--client-id", default=None, help="Needed when the issuer has several registrations.")
def deployment_approve(issuer: str, deployment_id: str, client_id: str | None) -> None:
    """Approve a deployment recorded at its first launch (launches from it then work)."""
    _set_active(issuer, deployment_id, client_id, active=True)


@lti_cli.command("deployment-deactivate")
@click.argument("issuer")
@click.argument("deployment_id")
@click.option("--client-id", default=None, help="Needed when the issuer has several registrations.")
def deployment_deactivate(issuer: str, deployment_id: str, client_id: str | None) -> None:
    """Refuse launches from a deployment (it can be approved again)."""
    _set_active(issuer, deployment_id, client_id, active=False)


@lti_cli.command("rotate-keys")
@click.option("--grace-days", default=keys.DEFAULT_GRACE_DAYS, show_default=True, type=click.IntRange(0, 365))
def rotate_keys(grace_days: int) -> None:
    """Create a new signing key; keep publishing the previous one for GRACE_DAYS."""
    runtime = get_runtime()
    with runtime.database.session_scope() as session:
        new_key, retired = keys.rotate(session, runtime.secret_box, grace_days=grace_days)
        runtime.record(session, "lti.keys_rotated", f"key:{new_key.kid}", retired=[k.kid for k in retired])
        kid = new_key.kid
    click.echo(
        f"New signing key {kid}; {len(retired)} previous key(s) published for {grace_days} more day(s)."
    )


# -- one-time registration links -----------------------------------------------------------------------


def _cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


@lti_cli.command("registration-link-create")
@click.option(
    "--valid-for",
    default="7d",
    show_default=True,
    help="Validité : un nombre d'heures (12h) ou de jours (7d), de 1 heure à 30 jours.",
)
@click.option(
    "--host",
    "expected_host",
    default="",
    help="Réserver le lien à une plateforme : son nom d'hôte (moodle.ministere.gouv.fr[:port]).",
)
@click.option("--label", default="", help="Pour qui est le lien (affiché dans la console).")
def registration_link_create(valid_for: str, expected_host: str, label: str) -> None:
    """Créer un lien d'enregistrement à usage unique pour l'administrateur d'une plateforme."""
    runtime = get_runtime()
    try:
        with runtime.database.session_scope() as session:
            created = links.create_link(
                session,
                runtime,
                actor=_cli_actor(),
                valid_for=links.parse_validity(valid_for),
                expected_host=expected_host,
                label=label,
            )
            link_id, expires_at, host = created.link.id, created.link.expires_at, created.link.expected_host
    except links.LinkError as exc:
        raise click.ClickException(f"lien non créé : {exc.message}") from None
    click.echo(f"Lien d'enregistrement n° {link_id}, valable jusqu'au {expires_at:%d/%m/%Y %H:%M} (UTC)")
    click.echo(f"réservé à {host}" if host else "utilisable par n'importe quelle plateforme")
    click.echo("À coller dans Moodle (Gérer les outils > URL de l'outil). Il ne sera plus affiché :")
    click.echo(created.url)


@lti_cli.command("registration-links")
@click.option("--all", "show_all", is_flag=True, help="Aussi les liens utilisés, révoqués ou expirés.")
def registration_links_command(show_all: bool) -> None:
    """Lister les liens d'enregistrement (les liens en attente, par défaut)."""
    labels = {
        "pending": "en attente",
        "in_use": "en cours d'utilisation",
        "used": "utilisé",
        "revoked": "révoqué",
        "expired": "expiré",
    }
    with get_runtime().database.session_scope() as session:
        rows = [(link, links.status(link)) for link in links.list_links(session, limit=1000)]
        if not show_all:
            rows = [(link, state) for link, state in rows if state in ("pending", "in_use")]
        for link, state in rows:
            used = f"  par {link.used_issuer}" if link.used_issuer else ""
            click.echo(
                f"{link.id:>4}  {labels[state]}  expire {link.expires_at:%d/%m/%Y %H:%M}  "
                f"hôte={link.expected_host or '*'}  créé par {link.created_by}{used}  {link.label}".rstrip()
            )
        click.echo(f"{len(rows)} lien(s).")


@lti_cli.command("registration-link-revoke")
@click.argument("link_id", type=int)
def registration_link_revoke(link_id: int) -> None:
    """Révoquer un lien d'enregistrement en attente (il ne pourra plus servir)."""
    runtime = get_runtime()
    try:
        with runtime.database.session_scope() as session:
            links.revoke_link(session, runtime, link_id, actor=_cli_actor())
    except links.LinkError as exc:
        raise click.ClickException(f"lien {link_id} non révoqué : {exc.message}") from None
    click.echo(f"Lien d'enregistrement n° {link_id} révoqué.")
