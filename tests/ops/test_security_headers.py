"""Security headers: CSP frame-ancestors, no X-Frame-Options, HSTS, no-store, Permissions-Policy, COOP."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, Response, request

from bridge.core import security
from tests.conftest import TEST_ENCRYPTION_KEY

MakeApp = Callable[..., Flask]


def _add_routes(app: Flask) -> None:
    bp = Blueprint("headers_probe", __name__)

    @bp.get("/probe/export.csv")
    def export() -> Response:
        return Response("nom;niveau\nCamille;3\n", mimetype="text/csv")

    @bp.get("/probe/framed")
    def framed() -> Response:
        response = Response("<p>x</p>", mimetype="text/html")
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response

    @bp.get("/probe/cached-personal")
    def cached_personal() -> Response:
        request.personal_data = True  # type: ignore[attr-defined]
        response = Response("{}", mimetype="application/json")
        response.headers["Cache-Control"] = "public, max-age=600"
        return response

    lti = Blueprint("lti_probe", __name__, url_prefix="/lti")

    @lti.get("/register-probe")
    def register() -> str:
        return "<script src='/static/js/close.js'></script>"

    app.register_blueprint(bp)
    app.register_blueprint(lti)


def test_pages_carry_every_header(app: Flask) -> None:
    security.set_frame_ancestors_provider(
        app, lambda: ["https://moodle.example.fr", "https://lms.example.org", "https://moodle.example.fr"]
    )
    response = app.test_client().get("/")
    headers = response.headers
    assert headers["Content-Security-Policy"].endswith(
        "frame-ancestors 'self' https://lms.example.org https://moodle.example.fr"
    )
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin-allow-popups"
    policy = headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy
    assert "fullscreen=(self)" in policy
    assert "Strict-Transport-Security" not in headers  # not production, not https


def test_x_frame_options_is_removed_even_when_a_view_sets_it(app: Flask) -> None:
    _add_routes(app)
    response = app.test_client().get("/probe/framed")
    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


def test_lti_endpoints_keep_their_opener(app: Flask) -> None:
    _add_routes(app)
    response = app.test_client().get("/lti/register-probe")
    assert response.headers["Cross-Origin-Opener-Policy"] == "unsafe-none"


def test_json_exports_and_errors_are_not_stored(app: Flask) -> None:
    _add_routes(app)
    client = app.test_client()
    for path in ("/healthz", "/probe/export.csv", "/no-such-page", "/metrics"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    # A view that flags personal data gets no-store whatever it asked for.
    assert client.get("/probe/cached-personal").headers["Cache-Control"] == "no-store"


def test_static_assets_stay_cacheable(app: Flask) -> None:
    client = app.test_client()
    css = client.get("/static/css/app.css")
    assert css.status_code == 200
    assert "no-store" not in css.headers.get("Cache-Control", "")
    dsfr = client.get("/static/dsfr/dsfr.min.css")
    assert dsfr.status_code == 200
    assert "max-age=604800" in dsfr.headers["Cache-Control"]


def test_hsts_in_production_over_https(make_app: MakeApp) -> None:
    app = make_app(
        env="production",
        base_url="https://pacnum.example.gouv.fr",
        encryption_key=TEST_ENCRYPTION_KEY,
        proxy_count=1,
    )
    response = app.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "X-Frame-Options" not in response.headers
