"""The bridge's side of the LTI adapter: what happens after a valid launch, what deep linking offers,
and the wiring (``init_app``) of lti.integration into the app."""

from __future__ import annotations

from flask import Flask, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from bridge.agents.operations import upsert_from_launch
from bridge.audit import operations as audit
from bridge.auth.launch_session import LaunchSession, start_session
from bridge.campaigns.membership import record_launch
from bridge.campaigns.models import Campaign
from bridge.core import errors, metrics, security
from bridge.core.db import get_session
from config.database import Database, utcnow
from config.settings import Settings
from lti import integration
from lti.context import LaunchContext, Role
from lti.runtime import DeepLinkChoice, LtiRuntime

SELF_ASSESSMENT_TAG = "pacnum-self-assessment"


def launch_session_for(ctx: LaunchContext, agent_id: int, campaign: str | None = None) -> LaunchSession:
    return LaunchSession(
        agent_id=agent_id,
        role=ctx.main_role.value,
        platform_id=ctx.platform_id,
        deployment_id=ctx.deployment_id,
        context_id=ctx.context.id if ctx.context else "",
        context_title=ctx.context.title if ctx.context else "",
        resource_link_id=ctx.resource_link.id if ctx.resource_link else "",
        locale=ctx.locale,
        ags_lineitems=(ctx.ags.lineitems or "") if ctx.ags else "",
        ags_lineitem=(ctx.ags.lineitem or "") if ctx.ags else "",
        ags_scopes=ctx.ags.scopes if ctx.ags else (),
        document_target=ctx.document_target,
        return_url=ctx.return_url,
        campaign=campaign if campaign is not None else ctx.custom.get("campaign", ""),
    )


def handle_launch(ctx: LaunchContext) -> ResponseReturnValue:
    """Create or update the agent, open their session, send them to their pages."""
    session = get_session()
    agent_id = upsert_from_launch(session, ctx)
    campaign = None
    if ctx.main_role is Role.LEARNER:
        # The campaign named by the activity, else the campaigns of the course (tracker: "launched").
        members = record_launch(
            session,
            agent_id,
            ctx.custom.get("campaign") or None,
            ctx.context.id if ctx.context else None,
            utcnow(),
        )
        campaign = members[0].campaign_code if members else ""
    session.commit()
    token = start_session(launch_session_for(ctx, agent_id, campaign))
    metrics.count_launch(True)
    endpoint = "learner.home" if ctx.main_role is Role.LEARNER else "staff.home"
    return redirect(url_for(endpoint, t=token), code=303)


def deep_link_choices(ctx: LaunchContext) -> list[DeepLinkChoice]:
    choices = [
        DeepLinkChoice(
            id="self-assessment",
            title=_("Auto-évaluation des compétences numériques"),
            description=_("Une trentaine de questions, sans limite de temps ; le résultat est noté sur 100."),
            lineitem_label=_("PACNum - auto-évaluation"),
            lineitem_tag=SELF_ASSESSMENT_TAG,
        )
    ]
    campaigns = get_session().scalars(
        select(Campaign).where(Campaign.active.is_(True)).order_by(Campaign.name)
    )
    for campaign in campaigns:
        choices.append(
            DeepLinkChoice(
                id=f"campaign:{campaign.code}",
                title=_("Auto-évaluation - campagne %(name)s", name=campaign.name),
                description=campaign.description[:300],
                custom={"campaign": campaign.code},
                lineitem_label=_("PACNum - %(name)s", name=campaign.name)[:100],
                lineitem_tag=f"pacnum-campaign-{campaign.code}",
            )
        )
    return choices


def _render_refusal(status: int, code: str, message: str) -> ResponseReturnValue:
    """An LTI refusal: counted for /metrics, shown as the app's error page."""
    metrics.count_launch(False, code)
    return errors.render_error(status, code, message)


def init_app(app: Flask, settings: Settings, database: Database) -> LtiRuntime:
    runtime = integration.init_app(
        app,
        settings=settings,
        database=database,
        launch_handler=handle_launch,
        deep_link_choices=deep_link_choices,
        audit=audit.record,
        render_error=_render_refusal,
    )
    security.set_frame_ancestors_provider(app, integration.frame_ancestors_provider(app))
    return runtime
