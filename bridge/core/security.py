"""Security headers on every response.

- Content-Security-Policy: its ``frame-ancestors`` is computed by a provider the app registers (the
  LTI package lists the registered platforms' origins), so only those LMSs can embed the tool.
  X-Frame-Options is never sent (it cannot list several origins and would break the Moodle iframe):
  ``frame-ancestors`` governs framing, and a stray X-Frame-Options is removed.
- Strict-Transport-Security in production over https.
- Cache-Control: no-store on everything that is not a static asset and did not set its own policy:
  pages, JSON API answers, exports and downloads can all hold personal data.
- Permissions-Policy: no camera, microphone, geolocation, payment... (the assessment needs none).
- Cross-Origin-Opener-Policy: ``same-origin-allow-popups`` keeps the tool's own popups (the "open in
  a new window" fallback) in reach, but would cut a cross-origin opener. The LTI endpoints (paths under
  ``/lti/``) answer ``unsafe-none``: dynamic registration ends with
  ``(window.opener || window.parent).postMessage({subject: "org.imsglobal.lti.close"}, "*")`` when the
  platform opened it in a popup, and LTI platform storage posts to the opener in "new window" launches.
  COOP is ignored inside iframes, so embedded launches are unaffected either way.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, request

FrameAncestorsProvider = Callable[[], list[str]]
_PROVIDER_KEY = "bridge.frame_ancestors"

STATIC_ENDPOINTS = frozenset({"static", "core.dsfr"})
OPENER_PATH_PREFIXES = ("/lti/",)
PERMISSIONS_POLICY = ", ".join(
    (
        "accelerometer=()",
        "autoplay=(self)",
        "browsing-topics=()",
        "camera=()",
        "display-capture=()",
        "encrypted-media=()",
        "fullscreen=(self)",
        "geolocation=()",
        "gyroscope=()",
        "hid=()",
        "magnetometer=()",
        "microphone=()",
        "midi=()",
        "payment=()",
        "publickey-credentials-get=()",
        "screen-wake-lock=()",
        "serial=()",
        "usb=()",
        "xr-spatial-tracking=()",
    )
)


def set_frame_ancestors_provider(app: Flask, provider: FrameAncestorsProvider) -> None:
    app.extensions[_PROVIDER_KEY] = provider


def _frame_ancestors() -> str:
    provider: FrameAncestorsProvider | None = current_app.extensions.get(_PROVIDER_KEY)
    origins = ["'self'"]
    if provider is not None:
        origins.extend(sorted(set(provider())))
    return " ".join(origins)


def _is_static_asset() -> bool:
    endpoint = request.endpoint or ""
    return endpoint in STATIC_ENDPOINTS or endpoint.endswith(".static")


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    csp = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "font-src 'self' data:; object-src 'none'; base-uri 'self'; "
        f"form-action *; frame-ancestors {_frame_ancestors()}"
    )
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.pop("X-Frame-Options", None)
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    opener = "unsafe-none" if request.path.startswith(OPENER_PATH_PREFIXES) else "same-origin-allow-popups"
    response.headers.setdefault("Cross-Origin-Opener-Policy", opener)
    if current_app.config.get("BRIDGE_HSTS"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    personal = getattr(request, "personal_data", False)
    if personal or ("Cache-Control" not in response.headers and not _is_static_asset()):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
