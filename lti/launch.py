"""Validation of the launch (the platform's form_post of ``id_token`` + ``state``), hardened beyond
pylti1p3: server-side single-use state and nonce, ``azp`` when ``aud`` is a list, clock leeway, a
kid-aware JWKS cache, and one precise error code per refusal.

Order: format -> state (consumed: single use, and its nonce with it) -> signature (platform of the
state) -> time -> iss/aud/azp -> nonce (the state's) -> message (version, type, sub, deployment, resource
link / deep-linking settings) -> deployment status.

The platform, its key and the deployment's status come from the process's registrations snapshot
(lti.registry_cache) when it can vouch for them all (active platform, known kid, active deployment), else
from the rows, which also refetch an unknown kid and record an unknown deployment for approval.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from lti import claims as c
from lti.context import LaunchContext, build_context
from lti.errors import refuse
from lti.models import Deployment, Platform
from lti.platform_keys import find_key
from lti.registry import add_deployment
from lti.registry_cache import PlatformView
from lti.runtime import LtiRuntime
from lti.storage import LoginState

log = logging.getLogger(__name__)

LAUNCH_DATA_TTL = timedelta(hours=2)


@dataclass(frozen=True)
class ValidatedLaunch:
    context: LaunchContext
    payload: dict[str, Any]
    login: LoginState


def _b64json(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def parse_token(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The JWT header and claims, after checking the token has the shape of a signed JWT. Nothing is
    checked yet: the claims serve only to prepare lookups, and decisions wait for the signature."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise refuse("lti.not_a_jwt")
    try:
        header = _b64json(parts[0])
        body = _b64json(parts[1])
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise refuse("lti.malformed_jwt") from exc
    if not isinstance(header, dict) or not isinstance(body, dict):
        raise refuse("lti.malformed_jwt")
    if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str) or not header["kid"]:
        raise refuse("lti.malformed_jwt")
    return header, body


def _key(jwk: Mapping[str, Any]) -> jwt.PyJWK:
    try:
        return jwt.PyJWK(dict(jwk), algorithm="RS256")
    except (jwt.PyJWKError, jwt.InvalidKeyError) as exc:
        raise refuse("lti.jwks_invalid") from exc


def _decode(token: str, key: jwt.PyJWK, leeway: int) -> dict[str, Any]:
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            leeway=leeway,
            options={"verify_aud": False, "verify_iss": False, "require": ["exp", "iat"]},
        )
    except jwt.InvalidSignatureError as exc:
        raise refuse("lti.bad_signature") from exc
    except jwt.ExpiredSignatureError as exc:
        raise refuse("lti.expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise refuse("lti.iat_future") from exc
    except jwt.InvalidTokenError as exc:  # missing exp/iat, non-numeric dates, undecodable
        raise refuse("lti.malformed_jwt") from exc
    return payload


def _check_audience(payload: Mapping[str, Any], platform: Platform | PlatformView) -> None:
    if payload.get("iss") != platform.issuer:
        raise refuse("lti.wrong_iss")
    aud = payload.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if platform.client_id not in audiences:
        raise refuse("lti.wrong_aud")
    azp = payload.get("azp")
    if azp is not None and azp != platform.client_id:
        raise refuse("lti.azp_mismatch")
    if isinstance(aud, list) and len(aud) > 1 and azp is None:
        raise refuse("lti.azp_mismatch")


def _check_message(payload: Mapping[str, Any], runtime: LtiRuntime) -> str:
    if payload.get(c.VERSION) != c.LTI_VERSION:
        raise refuse("lti.wrong_version")
    message_type = payload.get(c.MESSAGE_TYPE)
    if message_type not in c.SUPPORTED_MESSAGES:
        raise refuse("lti.wrong_message_type")
    sub = payload.get("sub")
    if not isinstance(sub, str) or not sub.strip():
        raise refuse("lti.missing_sub")
    deployment_id = payload.get(c.DEPLOYMENT_ID)
    if not isinstance(deployment_id, str) or not deployment_id.strip():
        raise refuse("lti.missing_deployment")
    target = payload.get(c.TARGET_LINK_URI)
    if isinstance(target, str) and target and not runtime.urls.belongs_to_tool(target):
        raise refuse("lti.bad_target_link_uri")
    if message_type == c.RESOURCE_LINK_REQUEST:
        link = payload.get(c.RESOURCE_LINK)
        if not isinstance(link, dict) or not isinstance(link.get("id"), str | int) or not str(link["id"]):
            raise refuse("lti.missing_resource_link")
    else:
        settings = payload.get(c.DL_SETTINGS)
        if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
            raise refuse("lti.missing_deep_linking_settings")
    return deployment_id.strip()


def _platform_and_deployment(
    session: Session, platform_id: int, deployment_id: object
) -> tuple[Platform | None, Deployment | None]:
    """The platform of the login state and, in the same query, the deployment the token names."""
    wanted = deployment_id.strip() if isinstance(deployment_id, str) else ""
    stmt = (
        select(Platform, Deployment)
        .outerjoin(Deployment, (Deployment.platform_id == Platform.id) & (Deployment.deployment_id == wanted))
        .where(Platform.id == platform_id)
    )
    row = session.execute(stmt).first()
    return (None, None) if row is None else (row[0], row[1])


def _check_deployment(
    session: Session, platform: Platform, deployment_id: str, deployment: Deployment | None
) -> Deployment:
    if deployment is None:
        add_deployment(session, platform, deployment_id, active=False)
        session.commit()
        log.warning("unknown deployment recorded for platform %s: awaiting approval", platform.id)
        raise refuse("lti.unknown_deployment", deployment_id=deployment_id)
    if not deployment.active:
        code = "lti.deployment_pending" if deployment.approved_at is None else "lti.deployment_inactive"
        raise refuse(code, deployment_id=deployment_id)
    return deployment


def _verified(
    token: str, key: jwt.PyJWK, platform: Platform | PlatformView, login: LoginState, runtime: LtiRuntime
) -> dict[str, Any]:
    """The signed claims, checked for time, issuer, audience and the state's nonce."""
    payload = _decode(token, key, runtime.leeway_seconds)
    _check_audience(payload, platform)
    if payload.get("nonce") != login.nonce:
        raise refuse("lti.nonce_mismatch")
    return payload


def _validate_with_rows(
    session: Session,
    runtime: LtiRuntime,
    token: str,
    header: Mapping[str, Any],
    login: LoginState,
    wanted_deployment: object,
) -> tuple[Platform, dict[str, Any], str]:
    """The launch checked against the current rows: the platform, its keys (refetched when a ``kid`` is
    unknown), the deployment (recorded for approval when unknown). Every precise refusal comes from here."""
    platform, deployment = _platform_and_deployment(session, login.platform_id, wanted_deployment)
    if platform is None or not platform.active:
        raise refuse("lti.state_unknown")
    try:
        jwk = find_key(
            session,
            platform,
            header["kid"],
            http=runtime.http,
            timeout=runtime.http_timeout,
            refetch_interval=runtime.jwks_refetch_interval,
        )
    finally:
        if session.is_modified(platform):
            session.commit()  # keep the refreshed JWKS cache (and the refetch time) whatever happens next
    payload = _verified(token, _key(jwk), platform, login, runtime)
    deployment_id = _check_message(payload, runtime)
    # The signed claims are the ones read before the signature check: the deployment loaded is theirs.
    _check_deployment(session, platform, deployment_id, deployment)
    return platform, payload, deployment_id


def validate_launch(session: Session, runtime: LtiRuntime, form: Mapping[str, str]) -> ValidatedLaunch:
    token = form.get("id_token", "").strip()
    if not token:
        raise refuse("lti.id_token_missing")
    header, unverified = parse_token(token)
    state = form.get("state", "").strip()
    if not state:
        raise refuse("lti.state_missing")
    # Consumed before anything else: whatever happens next, this state (and its nonce) never serves again.
    login = runtime.storage.consume_state(state)
    if login is None:
        if runtime.storage.state_was_used(state):
            log.warning("replayed launch refused (state already used)")
            raise refuse("lti.nonce_replayed")
        raise refuse("lti.state_unknown")
    wanted = unverified.get(c.DEPLOYMENT_ID)
    snapshot = runtime.registrations.get()
    known = (
        snapshot.launch_key(login.platform_id, header["kid"], wanted.strip())
        if snapshot is not None and isinstance(wanted, str)
        else None
    )
    platform: Platform | PlatformView
    if known is not None:
        # An active platform, its key and an active deployment, from this process's snapshot.
        platform, key = known
        payload = _verified(token, key, platform, login, runtime)
        deployment_id = _check_message(payload, runtime)
    else:
        platform, payload, deployment_id = _validate_with_rows(session, runtime, token, header, login, wanted)
    launch_id = secrets.token_urlsafe(24)
    context = build_context(
        payload,
        launch_id=launch_id,
        platform_id=platform.id,
        platform_name=platform.name,
        product_family=platform.product_family,
        client_id=platform.client_id,
    )
    log.info(
        "launch accepted: platform %s, deployment %s, %s, role %s",
        platform.id,
        deployment_id,
        context.message_type,
        context.main_role.value,
    )
    return ValidatedLaunch(context=context, payload=payload, login=login)


def save_launch(
    runtime: LtiRuntime, context: LaunchContext, payload: dict[str, Any], binding: str | None
) -> None:
    """Keep a validated launch for the pages that follow (storage check, deep-linking choice)."""
    runtime.storage.put_json(
        "launch:" + context.launch_id,
        {
            "payload": payload,
            "platform_id": context.platform_id,
            "platform_name": context.platform_name,
            "product_family": context.product_family,
            "client_id": context.client_id,
            "binding_hash": binding,
        },
        LAUNCH_DATA_TTL,
    )


@dataclass(frozen=True)
class SavedLaunch:
    context: LaunchContext
    payload: dict[str, Any]
    binding_hash: str | None


def load_launch(runtime: LtiRuntime, launch_id: str) -> SavedLaunch:
    """A saved launch, consumed (single use): pages that need it again save it again."""
    raw = runtime.storage.pop("launch:" + launch_id) if launch_id else None
    if raw is None:
        raise refuse("lti.launch_expired")
    data: dict[str, Any] = json.loads(raw)
    context = build_context(
        data["payload"],
        launch_id=launch_id,
        platform_id=data["platform_id"],
        platform_name=data["platform_name"],
        product_family=data["product_family"],
        client_id=data["client_id"],
    )
    return SavedLaunch(context=context, payload=data["payload"], binding_hash=data.get("binding_hash"))
