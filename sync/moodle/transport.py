"""The one class that talks HTTP to Moodle: form-encoded POSTs, decoding, classification, retries."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError, NewConnectionError

from sync.moodle.errors import (
    MoodleError,
    MoodleFatalError,
    MoodleTransientError,
    error_from_payload,
)
from sync.moodle.params import encode_body

log = logging.getLogger(__name__)

REST_PATH = "/webservice/rest/server.php"
DEFAULT_USER_AGENT = "pacnum-bridge/0.1 (moodle-ws-client)"


class BaseMoodleClient:
    """Low-level Moodle REST caller.

    ``call`` sends one function, retries transient failures (exponential backoff with full jitter,
    Retry-After honoured) and raises the MoodleError hierarchy. A bounded semaphore caps calls in flight
    across threads. A Retry-After longer than ``backoff_cap`` is not waited for: the transient error is
    raised at once so the job can be rescheduled instead of holding a worker (an upgrade says 300 s).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: tuple[float, float] = (5, 60),
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30,
        max_parallel: int = 4,
        session: requests.Session | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not token:
            raise ValueError("a Moodle web-service token is required")
        self.base_url = base_url.rstrip("/")
        self.endpoint = self.base_url + REST_PATH
        self._token = token
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self._random = random.SystemRandom()
        self._gate = threading.BoundedSemaphore(max_parallel)
        self._session = session or requests.Session()
        if session is None:
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max_parallel)
            self._session.mount("http://", adapter)
            self._session.mount("https://", adapter)
        self._headers = {
            "User-Agent": user_agent,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        self._stats_lock = threading.Lock()
        self.http_requests = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def close(self) -> None:
        self._session.close()

    def call(self, function: str, params: Mapping[str, Any] | None = None, *, idempotent: bool = True) -> Any:
        """Call one web-service function; returns the decoded JSON (``None`` is a valid success).

        A call that is not ``idempotent`` (enrolments: re-sending resets dates) is not retried after an
        ambiguous failure (it may have been carried out): the error is raised for the caller to verify.
        """
        body = encode_body(self._token, function, params or {})
        attempt = 0
        while True:
            try:
                return self._send_once(function, body)
            except MoodleTransientError as exc:
                delay = self._delay(attempt, exc.retry_after)
                if attempt >= self.max_retries or delay is None or (exc.ambiguous and not idempotent):
                    log.warning("moodle %s gave up after %d tries: %s", function, attempt + 1, _brief(exc))
                    raise
                log.info("moodle %s transient failure (%s), retry in %.2fs", function, _brief(exc), delay)
                self._sleep(delay)
                attempt += 1

    def _delay(self, attempt: int, retry_after: float | None) -> float | None:
        if retry_after is not None:
            return retry_after if retry_after <= self.backoff_cap else None
        return self._random.uniform(0, min(self.backoff_cap, self.backoff_base * (2**attempt)))

    def _send_once(self, function: str, body: str) -> Any:
        with self._gate:
            with self._stats_lock:
                self.http_requests += 1
            try:
                response = self._session.post(
                    self.endpoint, data=body, headers=self._headers, timeout=self.timeout
                )
            except requests.ConnectTimeout as exc:
                what = f"timeout ({type(exc).__name__})"
                raise MoodleTransientError(what, function=function) from exc
            except requests.Timeout as exc:
                what = f"timeout ({type(exc).__name__})"
                raise MoodleTransientError(what, function=function, ambiguous=True) from exc
            except requests.RequestException as exc:
                what = f"connection failure ({type(exc).__name__})"
                raise MoodleTransientError(what, function=function, ambiguous=_maybe_sent(exc)) from exc
        retry_after = response.headers.get("Retry-After")
        return decode_response(function, response.status_code, response.text, retry_after)


def decode_response(function: str, status: int, text: str, retry_after_header: str | None = None) -> Any:
    """Decode one answer or raise the matching MoodleError."""
    if status != 200:
        raise _http_error(function, status, text, retry_after_header)
    try:
        payload = json.loads(text)
    except ValueError:
        kind = "HTML" if text.lstrip()[:1] == "<" else "non-JSON"
        raise MoodleTransientError(f"{kind} body with HTTP 200", function=function, status=status) from None
    if isinstance(payload, dict) and "exception" in payload:
        raise error_from_payload(function, payload, status)
    return payload


def _http_error(function: str, status: int, text: str, retry_after_header: str | None) -> MoodleError:
    if status in (401, 403, 404):
        what = "REST protocol disabled or access denied" if status == 403 else "endpoint refused"
        return MoodleFatalError(what, function=function, status=status)
    retry_after = parse_retry_after(retry_after_header)
    message = "site in maintenance" if status == 503 else "server error"
    if status >= 500 or status == 429:
        return MoodleTransientError(message, function=function, status=status, retry_after=retry_after)
    return MoodleFatalError(f"unexpected HTTP status ({len(text)} bytes)", function=function, status=status)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, from either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _maybe_sent(exc: requests.RequestException) -> bool:
    """False only when the connection was never made (refused, DNS): the server cannot have run the call."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, NewConnectionError | NameResolutionError)


def _brief(exc: MoodleError) -> str:
    """What may be logged about a failure: class, code, status; never debuginfo (it can hold user data)."""
    return f"{type(exc).__name__} code={exc.errorcode} status={exc.status} {exc.message}"
