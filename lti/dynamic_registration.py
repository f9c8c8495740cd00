"""LTI Dynamic Registration (Moodle 4.x, Canvas, Brightspace...): the LMS admin pastes
``{BRIDGE_BASE_URL}/lti/register``; the LMS opens it with ``openid_configuration`` and
``registration_token``; the tool reads the platform's configuration, registers itself, stores the
client id and the deployment (active: the LMS admin started it), and the page closes the LMS dialog.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lti import claims as c
from lti.errors import LtiLaunchError, refuse
from lti.models import Deployment, Platform
from lti.registry import PlatformInput, RegistryError, add_deployment, save_platform
from lti.runtime import LtiRuntime

log = logging.getLogger(__name__)

CLIENT_NAME = "PACNum - auto-évaluation des compétences numériques"
REQUESTED_CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email"]


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


def _http_url(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def fetch_configuration(runtime: LtiRuntime, config_url: str) -> PlatformConfiguration:
    if not config_url:
        raise refuse("lti.registration_missing_config")
    if _http_url(config_url) is None:
        raise refuse("lti.registration_bad_config_url")
    try:
        response = runtime.http.get(
            config_url, timeout=runtime.http_timeout, headers={"Accept": "application/json"}
        )
    except requests.RequestException as exc:
        log.warning("openid configuration unreachable: %s", type(exc).__name__)
        raise refuse("lti.registration_config_unreachable") from exc
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
    if (urlsplit(issuer).hostname or "").lower() != (urlsplit(config_url).hostname or "").lower():
        raise refuse("lti.registration_issuer_mismatch")
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
        )
    except requests.RequestException as exc:
        log.warning("registration endpoint unreachable: %s", type(exc).__name__)
        raise refuse("lti.registration_config_unreachable") from exc
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


def register(session: Session, runtime: LtiRuntime, config_url: str, token: str) -> RegistrationResult:
    """The whole exchange. The caller commits."""
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
    runtime.record(
        session,
        "lti.platform_registered",
        f"platform:{platform.id}",
        issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_id=deployment.deployment_id if deployment else None,
        method="dynamic",
    )
    log.info("platform %s registered dynamically (%s)", platform.id, family or "unknown family")
    return RegistrationResult(platform=platform, deployment=deployment, created=created)
