"""Exception hierarchy for Moodle web-service failures.

Every failure of a Moodle call becomes one of these, so callers decide by class:

- ``MoodleFatalError``: the run cannot go on (bad token, function missing from the service, permissions,
  REST protocol disabled). Never retried.
- ``MoodleItemError``: this request (or one row of it) is wrong; other requests may succeed.
- ``MoodleTransientError``: try again later (5xx, maintenance, timeouts, broken bodies).
  Retried by the client.
- ``MoodleProtocolError``: the answer does not have the documented shape.

The token is never stored in an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FATAL_CODES = frozenset(
    {
        "invalidtoken",
        "accessexception",
        "nopermissions",
        "requireloginerror",
        "invalidlogin",
        "servicerequireslogin",
        "usernotfullysetup",
        "forcepasswordchangenotice",
        "sitepolicynotagreed",
        "enablewsdescription",
        "webservicesnotenabled",
        "cannotviewreport",
        "manualpluginnotinstalled",
    }
)
TRANSIENT_CODES = frozenset(
    {"sitemaintenance", "dbconnectionfailed", "dmlreadexception", "dmlwriteexception"}
)
ITEM_CODES = frozenset(
    {
        "invalidparameter",
        "wsnoinstance",
        "wsusercannotassign",
        "wscannotenrol",
        "wscannotunenrol",
        "usernotenroled",
        "notenroled",
        "nocriteriaset",
        "invalidrecord",
        "codingerror",
        "nottracked",
        "useralreadymarkedcomplete",
        "generalexceptionmessage",
    }
)


class MoodleError(Exception):
    """Base of every Moodle failure; carries what Moodle said, never the token."""

    def __init__(
        self,
        message: str,
        *,
        function: str | None = None,
        errorcode: str | None = None,
        debuginfo: str | None = None,
        status: int | None = None,
        exception: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.function = function
        self.errorcode = errorcode
        self.debuginfo = debuginfo
        self.status = status
        self.exception = exception

    def __str__(self) -> str:
        parts = [f"{self.function or '?'}: {self.message}"]
        if self.errorcode:
            parts.append(f"[{self.errorcode}]")
        if self.debuginfo:
            parts.append(f"({self.debuginfo})")
        if self.status is not None and self.status != 200:
            parts.append(f"HTTP {self.status}")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(function={self.function!r}, errorcode={self.errorcode!r}, "
            f"message={self.message!r}, status={self.status!r})"
        )


class MoodleFatalError(MoodleError):
    """Token, permission or configuration problem: stop the run."""


class MoodleItemError(MoodleError):
    """The request (a row of it) was refused; other requests can still succeed."""


class MoodleTransientError(MoodleError):
    """Temporary failure: retry later. ``retry_after`` is the server's hint in seconds, if any.

    ``ambiguous`` is True when the request may have been carried out all the same (read timeout, connection
    dropped after sending): a call that is not idempotent must then be verified, not re-sent.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, ambiguous: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class MoodleProtocolError(MoodleError):
    """The answer does not have the shape this client expects (missing key, wrong type)."""


def error_from_payload(function: str, payload: Mapping[str, Any], status: int = 200) -> MoodleError:
    """Turn a Moodle error object (exception, errorcode, message, debuginfo) into an exception."""
    code = payload.get("errorcode")
    errorcode = code if isinstance(code, str) else None
    message = str(payload.get("message") or payload.get("exception") or "Moodle error")
    debug = payload.get("debuginfo")
    kwargs: dict[str, Any] = {
        "function": function,
        "errorcode": errorcode,
        "debuginfo": debug if isinstance(debug, str) else None,
        "status": status,
        "exception": str(payload.get("exception")),
    }
    cls: type[MoodleError]
    if errorcode in TRANSIENT_CODES:
        return MoodleTransientError(message, **kwargs)
    if errorcode in FATAL_CODES or _is_missing_function(errorcode, message, kwargs["debuginfo"]):
        cls = MoodleFatalError
    else:
        # Known per-row codes, unknown codes and error objects without errorcode (see the
        # "contextvalidated" case) concern this request only.
        cls = MoodleItemError
    return cls(message, **kwargs)


def _is_missing_function(errorcode: str | None, message: str, debuginfo: str | None) -> bool:
    """An unknown wsfunction surfaces as invalidrecord on table external_functions."""
    if errorcode != "invalidrecord":
        return False
    return "external_functions" in message or "external_functions" in (debuginfo or "")
