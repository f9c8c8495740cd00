"""Admin and tracker pages: access, rendering of the known data set, campaign edition, population upload."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.audit.models import AuditEvent
from bridge.campaigns.models import Campaign, CampaignMember, Directorate
from tests.campaigns.conftest import Known

ADMIN_GETS = [
    "/admin/campagnes",
    "/admin/campagnes/nouvelle",
    "/admin/campagnes/DGFIP-T1/modifier",
    "/admin/campagnes/DGFIP-T1/population",
    "/admin/directions",
    "/admin/campagnes/suivi",
    "/admin/campagnes/DGFIP-T1/suivi",
    "/admin/campagnes/DGFIP-T1/export.csv",
    "/admin/campagnes/DGFIP-T1/export.xlsx",
    "/admin/campagnes/export.csv",
    "/admin/campagnes/export.xlsx",
]


REFUSED = (302, 401, 403)  # to the login page, or refused


@pytest.mark.parametrize(
    "url", [*ADMIN_GETS, "/admin/campagnes/UNKNOWN/suivi", "/admin/campagnes/UNKNOWN/modifier"]
)
def test_anonymous_users_are_refused(client: FlaskClient, known: Known, url: str) -> None:
    """Refused before any lookup: an unknown campaign is not told apart from a known one."""
    response = client.get(url)
    assert response.status_code in REFUSED
    assert "DGFIP test" not in response.get_data(as_text=True)


@pytest.mark.usefixtures("no_csrf")
@pytest.mark.parametrize(
    "url",
    [
        "/admin/campagnes/nouvelle",
        "/admin/campagnes/DGFIP-T1/modifier",
        "/admin/campagnes/DGFIP-T1/activation",
        "/admin/campagnes/DGFIP-T1/population",
        "/admin/campagnes/DGFIP-T1/suivi/recalculer",
        "/admin/directions",
    ],
)
def test_anonymous_writes_are_refused(
    client: FlaskClient, known: Known, url: str, db_session: Session
) -> None:
    assert client.post(url, data={"name": "x", "code": "X1", "active": "0"}).status_code in REFUSED
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_campaign_tracker_page_shows_figures_charts_and_tables(
    admin_client: FlaskClient, known: Known
) -> None:
    response = admin_client.get("/admin/campagnes/DGFIP-T1/suivi")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('role="img"') == 4  # funnel, progress, levels, before/after
    assert 'aria-labelledby="chart-funnel-title chart-funnel-desc"' in html
    assert html.count("<caption>") >= 4
    assert "Entonnoir par direction" in html
    assert "/admin/campagnes/DGFIP-T1/suivi?directorate=DGFIP" in html
    assert "export.xlsx" in html
    assert "export.csv" in html
    assert "2 agents évalués au moins deux fois" in html


def test_drill_down_to_units(admin_client: FlaskClient, known: Known) -> None:
    html = admin_client.get("/admin/campagnes/DGFIP-T1/suivi?directorate=DGFIP").get_data(as_text=True)
    assert "Entonnoir par service (DGFIP)" in html
    assert "Trésorerie Dijon" in html
    unit_page = admin_client.get("/admin/campagnes/DGFIP-T1/suivi?directorate=DGFIP&unit=SIE+Lyon&period=day")
    assert unit_page.status_code == 200


def test_bad_filter_is_a_400_page(admin_client: FlaskClient, known: Known) -> None:
    response = admin_client.get("/admin/campagnes/DGFIP-T1/suivi?from=yesterday")
    assert response.status_code == 400
    assert "from" in response.get_data(as_text=True)


def test_unknown_campaign_is_404(admin_client: FlaskClient, known: Known) -> None:
    assert admin_client.get("/admin/campagnes/NOPE/suivi").status_code == 404


def test_overview_lists_campaigns(admin_client: FlaskClient, known: Known) -> None:
    html = admin_client.get("/admin/campagnes/suivi").get_data(as_text=True)
    assert "Entonnoir par campagne" in html
    assert "DGFIP test" in html
    assert "Douane test" in html


def form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "DGFIP vague 2",
        "code": "DGFIP-2026-V2",
        "directorate_code": "DGFIP",
        "wave": "2",
        "starts_on": "2026-04-01",
        "ends_on": "2026-07-31",
        "retake_delay_days": "7",
        "max_recommendations": "4",
        "level_cap": "5",
        "grade_mode": "average_level",
        "lms_context_ids": "course-12, course-13",
        "target_1.1": "3",
        "target_3.4": "1",
    }
    data.update(overrides)
    return data


@pytest.mark.usefixtures("no_csrf")
def test_create_edit_and_deactivate_a_campaign(
    admin_client: FlaskClient, known: Known, db_session: Session
) -> None:
    response = admin_client.post("/admin/campagnes/nouvelle", data=form())
    assert response.status_code == 302
    campaign = db_session.scalar(select(Campaign).where(Campaign.code == "DGFIP-2026-V2"))
    assert campaign is not None
    assert campaign.target_profile == {"1.1": 3, "3.4": 1}
    assert campaign.settings["grade_mode"] == "average_level"
    assert campaign.lms_context_ids == ["course-12", "course-13"]
    assert campaign.retake_delay_days == 7
    assert campaign.wave == 2

    response = admin_client.post(
        "/admin/campagnes/DGFIP-2026-V2/modifier", data=form(name="Renommée", code="IGNORED")
    )
    assert response.status_code == 302
    db_session.refresh(campaign)
    assert (campaign.name, campaign.code) == ("Renommée", "DGFIP-2026-V2")

    assert (
        admin_client.post("/admin/campagnes/DGFIP-2026-V2/activation", data={"active": "0"}).status_code
        == 302
    )
    db_session.refresh(campaign)
    assert campaign.active is False
    actions = set(db_session.scalars(select(AuditEvent.action)))
    assert {"campaign.create", "campaign.update", "campaign.deactivate"} <= actions


@pytest.mark.usefixtures("no_csrf")
def test_campaign_form_errors_are_linked_to_fields(admin_client: FlaskClient, known: Known) -> None:
    bad = form(code="bad code", **{"target_2.1": "9", "ends_on": "2026-01-01", "directorate_code": "NOPE"})
    response = admin_client.post("/admin/campagnes/nouvelle", data=bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in ("code", "target_2.1", "ends_on", "directorate_code"):
        assert f'aria-describedby="{field}-error"' in html
    taken = admin_client.post("/admin/campagnes/nouvelle", data=form(code="DGFIP-T1"))
    assert taken.status_code == 422
    assert "Ce code est déjà pris." in taken.get_data(as_text=True)


def test_csrf_is_required(admin_client: FlaskClient, known: Known) -> None:
    assert admin_client.post("/admin/campagnes/nouvelle", data=form()).status_code == 400


@pytest.mark.usefixtures("no_csrf")
def test_population_upload_imports_or_lists_errors(
    admin_client: FlaskClient, known: Known, db_session: Session
) -> None:
    good = (
        "external_id;email;given_name;family_name;directorate;unit\n"
        + "N1;n1@x.gouv.fr;Léa;Roux;DGFIP;SIE Nantes\n"
    )
    response = admin_client.post(
        "/admin/campagnes/DGFIP-T1/population",
        data={"population": (io.BytesIO(good.encode()), "pop.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "Population importée" in response.get_data(as_text=True)
    members = db_session.scalar(
        select(func.count())
        .select_from(CampaignMember)
        .where(CampaignMember.campaign_id == known.campaign.id)
    )
    assert members == 6
    bad = "external_id,email,directorate\nN2,not-an-email,DGFIP\nN3,n3@x.gouv.fr,MARS\n"
    response = admin_client.post(
        "/admin/campagnes/DGFIP-T1/population",
        data={"population": (io.BytesIO(bad.encode()), "pop.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "ligne 2, email" in html
    assert "ligne 3, directorate" in html
    missing = admin_client.post(
        "/admin/campagnes/DGFIP-T1/population", data={}, content_type="multipart/form-data"
    )
    assert missing.status_code == 422


@pytest.mark.usefixtures("no_csrf")
def test_directorates_can_be_added(admin_client: FlaskClient, known: Known, db_session: Session) -> None:
    assert admin_client.post("/admin/directions", data={"code": "insee", "name": "INSEE"}).status_code == 302
    assert db_session.scalar(select(Directorate.name).where(Directorate.code == "INSEE")) == "INSEE"
    again = admin_client.post("/admin/directions", data={"code": "INSEE", "name": "INSEE"})
    assert again.status_code == 422
    assert 'aria-describedby="code-error"' in again.get_data(as_text=True)


@pytest.mark.usefixtures("no_csrf")
def test_refresh_button_recomputes(admin_client: FlaskClient, known: Known) -> None:
    response = admin_client.post("/admin/campagnes/DGFIP-T1/suivi/recalculer?directorate=DGFIP")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/campagnes/DGFIP-T1/suivi?directorate=DGFIP")
