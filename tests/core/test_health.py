"""Health, readiness, home page, language switch and error pages."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from config import migrate


def test_healthz_answers_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_database_and_migrations(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


def test_readyz_is_unavailable_when_migrations_are_pending(app: Flask, client: FlaskClient) -> None:
    database = app.extensions["bridge.db"]
    migrate.downgrade(database.url, "base")
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["checks"]["migrations"] == "pending"
    finally:
        migrate.upgrade(database.url)


def test_home_page_is_french_by_default(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="fr"' in html
    assert "Bienvenue sur PACNum" in html
    assert 'href="#contenu"' in html  # skip link (RGAA)


def test_home_page_in_english_on_request(client: FlaskClient) -> None:
    html = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "Welcome to PACNum" in html
    # The choice is remembered for the next page.
    assert '<html lang="en"' in client.get("/").get_data(as_text=True)


def test_language_switch_only_redirects_on_site(client: FlaskClient) -> None:
    response = client.get("/langue/en?next=//evil.example/x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/?lang=en")
    assert client.get("/langue/de").status_code == 404


def test_not_found_page_is_friendly_and_has_no_trace(client: FlaskClient) -> None:
    response = client.get("/nulle-part")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page non trouvée" in html
    assert "Traceback" not in html


def test_not_found_is_json_for_api_clients(client: FlaskClient) -> None:
    response = client.get("/api/nothing")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_unexpected_error_is_a_500_page_without_trace(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "incident" in html
    assert "secret internals" not in html
    assert "Traceback" not in html


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_dsfr_assets_are_served(client: FlaskClient) -> None:
    response = client.get("/static/dsfr/dsfr.min.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
