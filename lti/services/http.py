"""The only code that talks HTTP to the platforms' LTI services: timeouts, bearer tokens, error mapping."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import requests

from lti.services.errors import (
    ServiceAuthError,
    ServiceRejectedError,
    ServiceResponseError,
    ServiceUnavailableError,
)
from lti.services.tokens import AccessTokens, PlatformEndpoints

log = logging.getLogger(__name__)


class ServiceClient:
    def __init__(
        self, endpoints: PlatformEndpoints, tokens: AccessTokens, *, http: requests.Session, timeout: float
    ) -> None:
        self.endpoints = endpoints
        self._tokens = tokens
        self._http = http
        self._timeout = timeout

    def request(
        self,
        method: str,
        url: str,
        *,
        scopes: Sequence[str],
        accept: str,
        json_body: Any = None,
        content_type: str | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        token = self._tokens.get(self.endpoints, scopes)
        headers = {"Authorization": "Bearer " + token, "Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            response = self._http.request(
                method, url, headers=headers, json=json_body, params=params, timeout=self._timeout
            )
        except requests.RequestException as exc:
            raise ServiceUnavailableError(f"{method} {_path(url)}: {type(exc).__name__}") from exc
        status = response.status_code
        if status in (401, 403):
            self._tokens.forget(self.endpoints, scopes)
            raise ServiceAuthError(f"{method} {_path(url)}: HTTP {status}", status=status)
        if status == 429 or status >= 500:
            raise ServiceUnavailableError(f"{method} {_path(url)}: HTTP {status}", status=status)
        if status >= 400:
            raise ServiceRejectedError(
                f"{method} {_path(url)}: HTTP {status} {response.text[:200]}", status=status
            )
        return response

    @staticmethod
    def json(response: requests.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ServiceResponseError(
                f"not JSON: {response.text[:200]}", status=response.status_code
            ) from exc


def _path(url: str) -> str:
    """URLs in messages and logs without their query string."""
    return url.split("?", 1)[0]
