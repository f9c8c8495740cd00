"""OIDC login initiation (third-party initiated login): remember state and nonce server-side, then send
the browser to the platform's authorization endpoint.

Two ways out: a top-level GET redirect (Moodle 4.5+ keeps its session cookie ``SameSite=Lax``, which an
auto-posted form would lose), or, when the platform offers LTI platform storage (``lti_storage_target``),
a small page that stores a browser-binding secret in the platform's storage frame by postMessage first.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from sqlalchemy.orm import Session

from config.database import utcnow
from lti.errors import refuse
from lti.models import Platform
from lti.registry import find_platform_for_login
from lti.registry_cache import PlatformView
from lti.runtime import LtiRuntime
from lti.storage import STATE_TTL, LoginState

log = logging.getLogger(__name__)

LOGIN_PARAMETERS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "client_id",
    "lti_deployment_id",
    "lti_storage_target",
)


@dataclass(frozen=True)
class LoginRedirect:
    auth_url: str
    state: str
    storage_target: str | None
    binding_secret: str | None
    platform_origin: str
    retry_params: dict[str, str]


def binding_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def start_login(session: Session, runtime: LtiRuntime, params: Mapping[str, str]) -> LoginRedirect:
    issuer = params.get("iss", "").strip()
    if not issuer:
        raise refuse("lti.login_missing_iss")
    login_hint = params.get("login_hint", "")
    if not login_hint:
        raise refuse("lti.login_missing_hint")
    client_id = params.get("client_id") or None
    snapshot = runtime.registrations.get()
    platform: PlatformView | Platform | None = (
        snapshot.platform_for_login(issuer, client_id) if snapshot is not None else None
    )
    if platform is None:  # not a plain, active registration in the snapshot: the rows decide
        platform = find_platform_for_login(session, issuer, client_id)
    target = params.get("target_link_uri") or runtime.urls.launch
    if not runtime.urls.belongs_to_tool(target):
        raise refuse("lti.bad_target_link_uri")

    state = secrets.token_urlsafe(16)
    nonce = secrets.token_urlsafe(16)
    storage_target = params.get("lti_storage_target", "").strip()[:200] or None
    binding_secret = secrets.token_urlsafe(24) if storage_target else None
    runtime.storage.save_state(
        LoginState(
            state=state,
            platform_id=platform.id,
            nonce=nonce,
            target_link_uri=target,
            storage_target=storage_target,
            binding_hash=binding_hash(binding_secret) if binding_secret else None,
            expires_at=utcnow() + STATE_TTL,
        )
    )
    # The same parameters, in the same order, as Moodle's own tools expect (see the Moodle samples).
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": runtime.urls.launch,
        "login_hint": login_hint,
        "state": state,
        "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in platform.auth_login_url else "?"
    retry = {k: params[k] for k in LOGIN_PARAMETERS if params.get(k) and k != "lti_storage_target"}
    log.info("login initiation for platform %s (storage: %s)", platform.id, bool(storage_target))
    return LoginRedirect(
        auth_url=platform.auth_login_url + separator + urlencode(query),
        state=state,
        storage_target=storage_target,
        binding_secret=binding_secret,
        platform_origin=_origin(platform.auth_login_url),
        retry_params=retry,
    )
