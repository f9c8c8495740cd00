"""LTI Dynamic Registration (Moodle 4.x, Canvas, Brightspace...): the LMS admin pastes a registration URL;
the LMS opens it with ``openid_configuration`` and ``registration_token``; the tool reads the platform's
configuration, registers itself, stores the client id and the deployment (active: the LMS admin started
it), and the page closes the LMS dialog.

The page is public, and the tool calls the URLs it is given: who may make it call out is restricted.
- ``{BRIDGE_BASE_URL}/lti/register/<token>``: a one-time link issued by the tool's admin
  (lti.registration_links), optionally bound to one LMS host;
- ``{BRIDGE_BASE_URL}/lti/register``: only when the configuration URL's host is in
  ``BRIDGE_LTI_REGISTRATION_HOSTS`` (empty by default: refused).
Every refusal of that kind happens before any outgoing request. Then the configuration's endpoints must be
on the same origin as the configuration URL, and neither request follows HTTP redirects, so the POST
cannot be sent anywhere else.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lti import claims as c
from lti import registration_links as links
from lti.errors import LtiLaunchError, refuse
from lti.hosts import Origin, host_allowed, host_matches, origin_of
from lti.models import Deployment, Platform
from lti.registry import PlatformInput, RegistryError, add_deployment, save_platform
from lti.runtime import LtiRuntime

log = logging.getLogger(__name__)

CLIENT_NAME = "PACNum - auto-évaluation des compétences numériques"
REQUESTED_CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email"]
# Endpoints the tool calls (or sends people to): on the configuration URL's own origin.
SAME_ORIGIN_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
# A registration token is a JWT (Moodle) or an opaque string: visible ASCII only (it goes in a header).
TOKEN_PATTERN = re.compile(r"[\x21-\x7e]{0,8192}")


@dataclass(frozen=True)
class PlatformConfiguration:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    authorization_server: str | None
    product_family: str
    version: str


@dataclass(frozen=True)
class RegistrationResult:
    platform: Platform
    deployment: Deployment | None
    created: bool
    link_id: int | None = None


def _http_url(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def check_config_url(config_url: str) -> Origin:
    """The origin of the configuration URL, or the refusal (no request is made here)."""
    if not config_url:
        raise refuse("lti.registration_missing_config")
    origin = origin_of(config_url)
    if _http_url(config_url) is None or origin is None:
        raise refuse("lti.registration_bad_config_url")
    return origin


def _refuse_redirect(response: requests.Response, what: str) -> None:
    if response.is_redirect or 300 <= response.status_code < 400:
        log.warning("%s answered with a redirect (HTTP %s): not followed", what, response.status_code)
        raise refuse("lti.registration_redirect")


def fetch_configuration(runtime: LtiRuntime, config_url: str) -> PlatformConfiguration:
    origin = check_config_url(config_url)
    try:
        response = runtime.http.get(
            config_url,
            timeout=runtime.http_timeout,
            headers={"Accept": "application/json"},
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        log.warning("openid configuration unreachable: %s", type(exc).__name__)
        raise refuse("lti.registration_config_unreachable") from exc
    _refuse_redirect(response, "openid configuration")
    if response.status_code != 200:
        log.warning("openid configuration answered HTTP %s", response.status_code)
        raise refuse("lti.registration_config_unreachable")
    try:
        data = response.json()
    except ValueError as exc:
        raise refuse("lti.registration_bad_config") from exc
    if not isinstance(data, dict):
        raise refuse("lti.registration_bad_config")
    urls = {
        name: _http_url(data.get(name))
        for name in (
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "jwks_uri",
            "registration_endpoint",
        )
    }
    if any(value is None for value in urls.values()):
        raise refuse("lti.registration_bad_config")
    issuer = str(urls["issuer"])
    if (urlsplit(issuer).hostname or "").lower() != origin.host:
        raise refuse("lti.registration_issuer_mismatch")
    for name in SAME_ORIGIN_ENDPOINTS:
        if origin_of(str(urls[name])) != origin:
            log.warning("openid configuration: %s is not on the configuration's origin", name)
            raise refuse("lti.registration_endpoint_elsewhere", name=name)
    platform_config = data.get(c.PLATFORM_CONFIGURATION)
    platform_config = platform_config if isinstance(platform_config, dict) else {}
    return PlatformConfiguration(
        issuer=issuer,
        authorization_endpoint=str(urls["authorization_endpoint"]),
        token_endpoint=str(urls["token_endpoint"]),
        jwks_uri=str(urls["jwks_uri"]),
        registration_endpoint=str(urls["registration_endpoint"]),
        authorization_server=_http_url(data.get("authorization_server")),
        product_family=str(platform_config.get("product_family_code") or ""),
        version=str(platform_config.get("version") or ""),
    )


def registration_request(runtime: LtiRuntime) -> dict[str, Any]:
    urls = runtime.urls
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls.login,
        "redirect_uris": [urls.launch],
        "client_name": CLIENT_NAME,
        "jwks_uri": urls.jwks,
        "logo_uri": urls.logo,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(c.TOOL_SCOPES),
        c.TOOL_CONFIGURATION: {
            "domain": urls.domain,
            "target_link_uri": urls.launch,
            "description": "Auto-évaluation des compétences numériques des agents (PACNum).",
            "claims": REQUESTED_CLAIMS,
            "messages": [
                {"type": c.RESOURCE_LINK_REQUEST, "target_link_uri": urls.launch, "label": "PACNum"},
                {
                    "type": c.DEEP_LINKING_REQUEST,
                    "target_link_uri": urls.launch,
                    "label": "PACNum : ajouter l'auto-évaluation",
                },
            ],
        },
    }


def _refusal_reason(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("error_description", "error", "message"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:300]
    text = response.text.strip()
    return text[:300] if text else _("HTTP %(status)s", status=response.status_code)


def submit_registration(runtime: LtiRuntime, config: PlatformConfiguration, token: str) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        response = runtime.http.post(
            config.registration_endpoint,
            json=registration_request(runtime),
            headers=headers,
            timeout=runtime.http_timeout,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        log.warning("registration endpoint unreachable: %s", type(exc).__name__)
        raise refuse("lti.registration_config_unreachable") from exc
    _refuse_redirect(response, "registration endpoint")
    if response.status_code not in (200, 201):
        log.warning("registration refused by the platform: HTTP %s", response.status_code)
        raise refuse("lti.registration_refused", reason=_refusal_reason(response))
    try:
        data = response.json()
    except ValueError as exc:
        raise refuse("lti.registration_refused", reason=_("réponse illisible")) from exc
    if not isinstance(data, dict) or not isinstance(data.get("client_id"), str) or not data["client_id"]:
        raise refuse("lti.registration_refused", reason=_("la réponse ne contient pas de client_id"))
    return data


def claim_hold(runtime: LtiRuntime) -> timedelta:
    """How long a link stays reserved for one exchange: two platform calls and some margin."""
    return timedelta(seconds=2 * runtime.http_timeout + 30)


def register(
    session: Session,
    runtime: LtiRuntime,
    config_url: str,
    token: str,
    *,
    link_token: str | None = None,
) -> RegistrationResult:
    """The whole exchange, through a one-time link (``link_token``) or from an allowed host. The caller
    commits; with a link, the claim on it is committed here, before the platform is called."""
    if link_token is None:
        origin = _check_request(config_url, token)
        if not host_allowed(origin, runtime.registration_hosts):
            raise refuse("lti.registration_host_not_allowed", host=origin.display[:200])
        return _exchange(session, runtime, config_url, token, link_id=None)
    link = links.open_link(session, link_token)
    origin = _check_request(config_url, token)
    if link.expected_host and not host_matches(origin, link.expected_host):
        raise refuse(
            "lti.registration_link_wrong_host", expected=link.expected_host, host=origin.display[:200]
        )
    link_id = link.id
    links.claim(session, link, claim_hold(runtime))
    session.commit()
    try:
        return _exchange(session, runtime, config_url, token, link_id=link_id)
    except Exception:
        session.rollback()
        links.release(session, link_id)
        session.commit()
        raise


def _check_request(config_url: str, token: str) -> Origin:
    origin = check_config_url(config_url)
    if not TOKEN_PATTERN.fullmatch(token):
        raise refuse("lti.registration_bad_token")
    return origin


def _exchange(
    session: Session, runtime: LtiRuntime, config_url: str, token: str, *, link_id: int | None
) -> RegistrationResult:
    config = fetch_configuration(runtime, config_url)
    answer = submit_registration(runtime, config, token)
    tool_config = answer.get(c.TOOL_CONFIGURATION)
    tool_config = tool_config if isinstance(tool_config, dict) else {}
    host = urlsplit(config.issuer).netloc
    family = config.product_family
    try:
        platform, created = save_platform(
            session,
            PlatformInput(
                issuer=config.issuer,
                client_id=answer["client_id"],
                auth_login_url=config.authorization_endpoint,
                auth_token_url=config.token_endpoint,
                key_set_url=config.jwks_uri,
                auth_audience=config.authorization_server,
                name=f"{family.capitalize()} {host}".strip() if family else host,
                product_family=family,
                registered_by="dynamic",
            ),
        )
        deployment_id = str(tool_config.get("deployment_id") or "").strip()
        deployment = add_deployment(session, platform, deployment_id, active=True) if deployment_id else None
    except RegistryError as exc:
        raise LtiLaunchError(502, "lti.registration_refused", str(exc)) from exc
    if link_id is not None:
        links.consume(session, link_id, platform)
        runtime.record(
            session,
            "lti.registration_link_used",
            f"registration_link:{link_id}",
            platform_id=platform.id,
            issuer=platform.issuer,
        )
    runtime.record(
        session,
        "lti.platform_registered",
        f"platform:{platform.id}",
        issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_id=deployment.deployment_id if deployment else None,
        method="dynamic",
        registration_link=link_id,
    )
    log.info(
        "platform %s registered dynamically (%s, %s)",
        platform.id,
        family or "unknown family",
        f"link {link_id}" if link_id is not None else "allowed host",
    )
    return RegistrationResult(platform=platform, deployment=deployment, created=created, link_id=link_id)
