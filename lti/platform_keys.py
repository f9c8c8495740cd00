"""The platforms' public keys: cached in Platform.jwks_cache (shared by every worker), refetched when an
unknown ``kid`` shows up (platform key rotation works without a restart), refetches rate-limited so that
forged ``kid`` values cannot make the tool hammer the platform.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import requests
from sqlalchemy.orm import Session

from config.database import utcnow
from lti.errors import refuse
from lti.models import Platform

log = logging.getLogger(__name__)

CACHE_MAX_AGE = timedelta(hours=12)


def fetch_jwks(url: str, *, http: requests.Session, timeout: float) -> dict[str, Any]:
    try:
        response = http.get(url, timeout=timeout, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        log.warning("platform JWKS unreachable at %s: %s", url, type(exc).__name__)
        raise refuse("lti.jwks_unavailable") from exc
    if response.status_code != 200:
        log.warning("platform JWKS at %s answered HTTP %s", url, response.status_code)
        raise refuse("lti.jwks_unavailable")
    try:
        data = response.json()
    except ValueError as exc:
        raise refuse("lti.jwks_invalid") from exc
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise refuse("lti.jwks_invalid")
    return data


def _match(jwks: dict[str, Any] | None, kid: str) -> dict[str, Any] | None:
    for key in (jwks or {}).get("keys", []):
        if isinstance(key, dict) and key.get("kid") == kid and key.get("kty") == "RSA":
            return key
    return None


def find_key(
    session: Session,
    platform: Platform,
    kid: str,
    *,
    http: requests.Session,
    timeout: float,
    refetch_interval: timedelta,
) -> dict[str, Any]:
    """The platform's public JWK for ``kid``. Updates the cache on ``platform`` (the caller commits)."""
    now = utcnow()
    fresh = platform.jwks_fetched_at is not None and now - platform.jwks_fetched_at < CACHE_MAX_AGE
    if platform.jwks_cache is None or not fresh:
        platform.jwks_cache = fetch_jwks(platform.key_set_url, http=http, timeout=timeout)
        platform.jwks_fetched_at = now
    key = _match(platform.jwks_cache, kid)
    if key is not None:
        return key
    last = platform.jwks_refetched_at
    if last is None or now - last >= refetch_interval:
        log.info("unknown kid on platform %s: refetching its JWKS", platform.id)
        platform.jwks_cache = fetch_jwks(platform.key_set_url, http=http, timeout=timeout)
        platform.jwks_fetched_at = now
        platform.jwks_refetched_at = now
        key = _match(platform.jwks_cache, kid)
    if key is None:
        raise refuse("lti.unknown_kid")
    return key
