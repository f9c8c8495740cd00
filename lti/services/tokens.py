"""OAuth 2 client-credentials access tokens for the LTI services, with a JWT assertion signed by the tool.

Tokens are cached per (platform, scopes) until shortly before they expire, in the shared launch storage
(database or Redis, encrypted) so every worker and job reuses them instead of asking the LMS again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import requests

from config.crypto import SecretBox
from lti.keys import SigningKey
from lti.services.errors import ServiceAuthError, ServiceResponseError, ServiceUnavailableError
from lti.storage import LaunchStorage

log = logging.getLogger(__name__)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SAFETY_MARGIN = 60


@dataclass(frozen=True)
class PlatformEndpoints:
    platform_id: int
    client_id: str
    token_url: str
    audience: str | None = None


def client_assertion(endpoints: PlatformEndpoints, signing: SigningKey) -> str:
    now = int(time.time())
    claims = {
        "iss": endpoints.client_id,
        "sub": endpoints.client_id,
        "aud": endpoints.audience or endpoints.token_url,
        "iat": now - 5,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(18),
    }
    return signing.sign(claims)


class AccessTokens:
    def __init__(
        self,
        storage: LaunchStorage,
        box: SecretBox,
        signing_key: Callable[[], SigningKey],
        *,
        http: requests.Session,
        timeout: float,
    ) -> None:
        self._storage = storage
        self._box = box
        self._signing_key = signing_key
        self._http = http
        self._timeout = timeout

    @staticmethod
    def _cache_key(endpoints: PlatformEndpoints, scopes: Sequence[str]) -> str:
        digest = hashlib.sha256(" ".join(sorted(set(scopes))).encode("utf-8")).hexdigest()[:32]
        return f"token:{endpoints.platform_id}:{endpoints.client_id[:40]}:{digest}"

    def get(self, endpoints: PlatformEndpoints, scopes: Sequence[str]) -> str:
        key = self._cache_key(endpoints, scopes)
        cached = self._storage.get(key)
        if cached is not None:
            return self._box.decrypt(cached)
        token, lifetime = self._request(endpoints, scopes)
        if lifetime > SAFETY_MARGIN:
            self._storage.put(key, self._box.encrypt(token), timedelta(seconds=lifetime - SAFETY_MARGIN))
        return token

    def forget(self, endpoints: PlatformEndpoints, scopes: Sequence[str]) -> None:
        self._storage.pop(self._cache_key(endpoints, scopes))

    def _request(self, endpoints: PlatformEndpoints, scopes: Sequence[str]) -> tuple[str, int]:
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(endpoints, self._signing_key()),
            "scope": " ".join(sorted(set(scopes))),
        }
        try:
            response = self._http.post(
                endpoints.token_url, data=form, headers={"Accept": "application/json"}, timeout=self._timeout
            )
        except requests.RequestException as exc:
            raise ServiceUnavailableError(f"token endpoint unreachable: {type(exc).__name__}") from exc
        if response.status_code in (400, 401, 403):
            raise ServiceAuthError(
                f"token refused (HTTP {response.status_code}): {response.text[:200]}",
                status=response.status_code,
            )
        if response.status_code == 429 or response.status_code >= 500:
            raise ServiceUnavailableError(
                f"token endpoint: HTTP {response.status_code}", status=response.status_code
            )
        try:
            data = response.json()
        except (ValueError, json.JSONDecodeError) as exc:
            raise ServiceResponseError("token endpoint answered something that is not JSON") from exc
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise ServiceResponseError("token endpoint answered without access_token")
        expires_in = data.get("expires_in", 3600)
        lifetime = int(expires_in) if isinstance(expires_in, int | float) else 3600
        log.info("service token obtained for platform %s (%d s)", endpoints.platform_id, lifetime)
        return token, lifetime
