"""One admin flow in a real browser: sign in with the keyboard, approve a pending deployment, find the
approval in the audit log."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from config.database import Database
from tests.admin.conftest import PASSWORD, Accounts, add_deployment, add_platform
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.browser


def _tab_to(page: Any, element_id: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


def test_keyboard_login_then_approve_a_deployment(
    page: Any, live_server: LiveServer, database: Database
) -> None:
    Accounts(database).create("alice")
    with database.session_scope() as session:
        platform = add_platform(session, name="Moodle DGFIP")
        add_deployment(session, platform, "dep-42")

    page.goto(live_server.url + "/admin/")
    assert page.url.startswith(live_server.url + "/admin/connexion")
    _tab_to(page, "username")
    page.keyboard.type("alice")
    _tab_to(page, "password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/admin/")
    assert page.locator("h1").inner_text() == "Console d'administration"

    page.get_by_role("link", name="Plateformes LTI", exact=True).click()
    page.wait_for_url("**/admin/plateformes")
    row = page.get_by_role("row").filter(has_text="dep-42")
    assert row.get_by_text("en attente d'approbation").is_visible()
    page.get_by_role("button", name="Approuver le déploiement dep-42").click()
    page.wait_for_url("**/admin/plateformes*")
    assert page.get_by_role("status").filter(has_text="Déploiement « dep-42 » approuvé").is_visible()
    assert row.get_by_text("actif").is_visible()

    page.get_by_role("link", name="Journal d'audit").click()
    page.wait_for_url("**/admin/journal")
    row = page.get_by_role("row").filter(has_text="lti.deployment.approve")
    assert row.count() == 1
    assert "(alice)" in row.inner_text()


def test_copy_buttons_copy_the_tool_urls(page: Any, live_server: LiveServer, database: Database) -> None:
    Accounts(database).create("alice")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(live_server.url + "/admin/connexion")
    page.get_by_role("textbox", name="Identifiant").fill("alice")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/admin/")
    page.goto(live_server.url + "/admin/plateformes")
    page.get_by_role("button", name="Copier URL du jeu de clés publiques (JWKS)").click()
    expect(page.locator("#copy-status")).to_have_text("Adresse copiée dans le presse-papiers.")
    assert page.evaluate("navigator.clipboard.readText()") == "http://localhost/lti/jwks"
    assert page.locator("#tool-url-jwks").input_value() == "http://localhost/lti/jwks"


def test_create_copy_and_revoke_a_registration_link(
    page: Any, live_server: LiveServer, database: Database
) -> None:
    Accounts(database).create("alice")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(live_server.url + "/admin/connexion")
    page.get_by_role("textbox", name="Identifiant").fill("alice")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/admin/")
    page.goto(live_server.url + "/admin/plateformes")
    assert page.get_by_text("Aucune plateforme n'est autorisée sans lien pour le moment.").is_visible()

    page.get_by_label("Pour qui (facultatif)").fill("Moodle DGFIP")
    page.get_by_label("Réserver le lien à une plateforme (facultatif)").fill("moodle.dgfip.example.gouv.fr")
    page.get_by_label("Durée de validité").select_option(label="1 jour")
    page.get_by_role("button", name="Créer le lien").click()
    expect(page.locator("h1")).to_have_text("Lien d'enregistrement créé")
    link = page.locator("#registration-link").input_value()
    assert link.startswith("http://localhost/lti/register/")
    page.get_by_role("button", name="Copier le lien d'enregistrement").click()
    expect(page.locator("#copy-status")).to_have_text("Lien copié dans le presse-papiers.")
    assert page.evaluate("navigator.clipboard.readText()") == link

    page.get_by_role("link", name="Revenir aux plateformes").click()
    row = page.get_by_role("row").filter(has_text="Moodle DGFIP")
    expect(row.get_by_text("en attente")).to_be_visible()
    assert "moodle.dgfip.example.gouv.fr" in row.inner_text()
    assert link.rsplit("/", 1)[1] not in page.content()  # shown once
    row.get_by_role("button", name="Révoquer le lien n° 1").click()
    expect(page.get_by_role("status").filter(has_text="Lien d'enregistrement n° 1 révoqué")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Moodle DGFIP")
    expect(row.get_by_text("révoqué", exact=True)).to_be_visible()
    assert row.inner_text().count("par alice") == 2  # who created it, who revoked it


def test_registration_link_form_errors_are_announced(
    page: Any, live_server: LiveServer, database: Database
) -> None:
    Accounts(database).create("alice")
    page.goto(live_server.url + "/admin/connexion")
    page.get_by_role("textbox", name="Identifiant").fill("alice")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(live_server.url + "/admin/")
    page.goto(live_server.url + "/admin/plateformes")
    field = page.get_by_label("Réserver le lien à une plateforme (facultatif)")
    field.fill("moodle dgfip")
    page.get_by_role("button", name="Créer le lien").click()
    expect(page.get_by_role("alert")).to_contain_text("Le lien n'a pas été créé")
    field = page.get_by_label("Réserver le lien à une plateforme (facultatif)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("moodle dgfip")
    assert "Saisissez un nom d'hôte" in page.locator("#expected_host-messages").inner_text()
