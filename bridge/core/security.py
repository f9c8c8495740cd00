"""Security headers on every response.

The Content-Security-Policy's ``frame-ancestors`` is computed by a provider the app registers (the
LTI package lists the registered platforms' origins), so only those LMSs can embed the tool.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, request

FrameAncestorsProvider = Callable[[], list[str]]
_PROVIDER_KEY = "bridge.frame_ancestors"


def set_frame_ancestors_provider(app: Flask, provider: FrameAncestorsProvider) -> None:
    app.extensions[_PROVIDER_KEY] = provider


def _frame_ancestors() -> str:
    provider: FrameAncestorsProvider | None = current_app.extensions.get(_PROVIDER_KEY)
    origins = ["'self'"]
    if provider is not None:
        origins.extend(sorted(set(provider())))
    return " ".join(origins)


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    csp = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "font-src 'self' data:; object-src 'none'; base-uri 'self'; "
        f"form-action *; frame-ancestors {_frame_ancestors()}"
    )
    response.headers.setdefault("Content-Security-Policy", csp)
    if current_app.config.get("BRIDGE_HSTS"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if getattr(request, "personal_data", False) or response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
