"""Failures of the LTI Advantage service calls, as a small hierarchy the jobs can act on."""

from __future__ import annotations


class ServiceError(Exception):
    """A service call failed. ``retryable`` says whether trying again later may succeed."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ServiceUnavailableError(ServiceError):
    """Network error, timeout, HTTP 429 or 5xx: try again later."""

    retryable = True


class ServiceAuthError(ServiceError):
    """The platform refused the token or the scope (HTTP 400/401/403 on the token, 401/403 on a service):
    on Moodle, AGS/NRPS are probably not enabled on the tool, or the registration changed."""


class ServiceRejectedError(ServiceError):
    """The platform refused the request itself (HTTP 4xx): retrying the same request will not help."""


class ServiceResponseError(ServiceError):
    """The platform answered something that is not what the specification says."""
