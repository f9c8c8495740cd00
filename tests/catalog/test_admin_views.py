"""Admin pages of the catalogue: guard, list and filters, edit form errors, (de)activation, import, export."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.audit.models import AuditEvent
from bridge.catalog.formats import COLUMNS
from bridge.catalog.models import Training
from config.database import Database
from tests.support import admin as admin_support
from tests.support import domain


@pytest.fixture
def admin(client: FlaskClient, database: Database) -> FlaskClient:
    admin_support.sign_in(client, database)
    return client


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match
    return match.group(1)


def _form(html: str) -> dict[str, str]:
    """The edit form as the browser would send it (inputs with a value, checked boxes, selected options)."""
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    data = {
        k: v
        for k, v in data.items()
        if not re.search(rf'type="(radio|checkbox)"[^>]*name="{re.escape(k)}"', html)
    }
    for name, value in re.findall(r'<input[^>]*checked[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        data[name] = value
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"[^>]*checked', html):
        data[name] = value
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', options)
        if selected:
            data[name] = selected.group(1) or selected.group(2) or ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        data[name] = text.strip()
    return data


def test_pages_need_an_administrator(client: FlaskClient) -> None:
    for url in (
        "/admin/catalogue/",
        "/admin/catalogue/nouvelle",
        "/admin/catalogue/import",
        "/admin/catalogue/export.csv",
    ):
        response = client.get(url)
        assert response.status_code == 302  # to the console's login page
        assert response.headers["Location"].startswith("/admin/connexion")


def test_list_and_filters(admin: FlaskClient, db_session: Session) -> None:
    domain.training(db_session, "SECU-1", {"4.1": (0, 2, 3)}, title="Sécurité en ligne")
    domain.training(db_session, "LYON", {"4.2": (0, 2, 3)}, title="Données à Lyon", modality="in_person")
    domain.training(db_session, "OLD", {"4.1": (0, 2, 3)}, title="Ancienne formation", active=False)
    db_session.commit()
    html = admin.get("/admin/catalogue/").get_data(as_text=True)
    assert "<caption>Formations : 3</caption>" in html
    assert 'scope="col"' in html
    filtered = admin.get("/admin/catalogue/?competence=4.1&active=1").get_data(as_text=True)
    assert "Sécurité en ligne" in filtered
    assert "Ancienne formation" not in filtered
    assert "Données à Lyon" not in filtered
    assert "Données à Lyon" in admin.get("/admin/catalogue/?modality=in_person").get_data(as_text=True)
    assert "Données à Lyon" in admin.get("/admin/catalogue/?q=lyon").get_data(as_text=True)
    assert admin.get("/admin/catalogue/?competence=9.9").status_code == 400


def test_create_with_errors_then_fixed(admin: FlaskClient, db_session: Session) -> None:
    page = admin.get("/admin/catalogue/nouvelle").get_data(as_text=True)
    data = _form(page)
    data.update(
        {
            "code": "LYON-1",
            "title": "Cybersécurité à Lyon",
            "modality": "in_person",
            "duration_minutes": "360",
            "language": "fr",
            "theme": "securite",
            "place": "IGPDE Lyon",
            "starts_at": "2027-05-18T09:30",
            "ends_at": "2027-05-18T17:00",
            "competences-11-prerequisite": "3",  # row of 4.1
            "competences-11-goal": "2",
            "competences-11-target": "5",
        }
    )
    response = admin.post("/admin/catalogue/nouvelle", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "La formation n'a pas été enregistrée" in html
    assert (
        'id="capacity-erreurs" class="fr-error-text">obligatoire pour une session en présentiel ou hybride'
        in html
    )
    assert 'aria-describedby="capacity-erreurs"' in html
    assert "le seuil objectif doit être au moins égal au prérequis" in html
    assert db_session.scalars(select(Training)).all() == []

    data.update({"capacity": "12", "competences-11-goal": "4"})
    response = admin.post("/admin/catalogue/nouvelle", data=data)
    assert response.status_code == 302
    training = db_session.scalars(select(Training)).one()
    assert (training.capacity, training.starts_at.hour) == (12, 7)  # 09:30 Paris time in May is 07:30 UTC
    assert [
        (c.competence, c.prerequisite_level, c.goal_level, c.target_level) for c in training.competences
    ] == [("4.1", 3, 4, 5)]
    actions = db_session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("catalog.%"))).all()
    assert actions == ["catalog.training_created"]


def test_edit_deactivate_and_reactivate(admin: FlaskClient, db_session: Session) -> None:
    training = domain.training(db_session, "SECU-1", {"4.1": (0, 2, 3)}, title="Sécurité")
    db_session.commit()
    page = admin.get(f"/admin/catalogue/{training.id}/modifier").get_data(as_text=True)
    data = _form(page)
    assert data["competences-11-target"] == "3"
    data["title"] = "Sécurité numérique, les bases"
    assert admin.post(f"/admin/catalogue/{training.id}/modifier", data=data).status_code == 302
    db_session.refresh(training)
    assert training.title == "Sécurité numérique, les bases"

    token = _csrf(admin.get("/admin/catalogue/").get_data(as_text=True))
    response = admin.post(
        f"/admin/catalogue/{training.id}/activation?active=1", data={"csrf_token": token, "active": "0"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/catalogue/?active=1")
    db_session.refresh(training)
    assert training.active is False
    admin.post(f"/admin/catalogue/{training.id}/activation", data={"csrf_token": token, "active": "1"})
    db_session.refresh(training)
    assert training.active is True
    assert admin.get("/admin/catalogue/999999/modifier").status_code == 404


def test_import_shows_errors_by_line_then_imports(admin: FlaskClient, db_session: Session) -> None:
    token = _csrf(admin.get("/admin/catalogue/import").get_data(as_text=True))
    header = ",".join(COLUMNS)
    good = "SECU-1,Sécurité,,online,45,fr,securite,4.1:0-2>3,,,PACNUM-41-SECU-1,,,,,,oui"
    bad = good.replace("SECU-1,", "SECU-2,", 1).replace(",45,", ",0,")
    body = f"{header}\n{good}\n{bad}\n".encode()
    response = admin.post(
        "/admin/catalogue/import",
        data={"csrf_token": token, "file": (io.BytesIO(body), "catalogue.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ligne 3, champ « duration_minutes » : un nombre de minutes entre 1 et 86400" in html
    assert db_session.scalars(select(Training)).all() == []

    response = admin.post(
        "/admin/catalogue/import",
        data={"csrf_token": token, "file": (io.BytesIO(f"{header}\n{good}\n".encode()), "catalogue.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert [t.code for t in db_session.scalars(select(Training))] == ["SECU-1"]
    wrong_type = admin.post(
        "/admin/catalogue/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"x"), "catalogue.xlsx")},
        content_type="multipart/form-data",
    )
    assert wrong_type.status_code == 422
    assert "Un fichier .csv, .yaml ou .yml" in wrong_type.get_data(as_text=True)


def test_export_downloads(admin: FlaskClient, db_session: Session) -> None:
    domain.training(db_session, "SECU-1", {"4.1": (0, 2, 3)})
    db_session.commit()
    csv_response = admin.get("/admin/catalogue/export.csv")
    assert csv_response.headers["Content-Disposition"] == 'attachment; filename="catalogue.csv"'
    assert "SECU-1" in csv_response.get_data(as_text=True)
    yaml_response = admin.get("/admin/catalogue/export.yaml")
    assert yaml_response.get_data(as_text=True).startswith("trainings:")
    assert admin.get("/admin/catalogue/export.xlsx").status_code == 404
