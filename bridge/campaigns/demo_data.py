"""`flask --app wsgi bridge demo-data`: a realistic programme at scale, written by bulk inserts.

Four directorates in the programme's proportions (DGFIP first), campaigns by wave, agents with a funnel
that depends on how long their wave has been running (dates cut at "now"), finished assessments whose
per-competence levels come from a correlated model (a general ability plus a competence deviation, many
beginners), about 15% assessed twice with progress, and recommendations of the stored catalogue.
It never goes through the assessment engine (too slow at scale): CompetenceResult rows are written
directly, with theta/se consistent with the level. Everything it creates is prefixed DEMO-.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, CompetenceResult
from bridge.campaigns import demo_names as names
from bridge.campaigns.demo_writer import LEVEL_CAP, PREFIX, DemoSummary, Ids, Wave, Writer, units_for
from bridge.campaigns.models import Campaign, CampaignMember, Directorate
from bridge.catalog.models import Training, TrainingCompetence
from bridge.recommendations.models import Recommendation
from bridge.tracker import stats
from config.database import utcnow
from config.framework import Framework, load_framework
from config.settings import Settings

CHUNK_AGENTS = 2000

Progress = Callable[[int], None]


class DemoDataExists(RuntimeError):
    """Demo campaigns are already there (use replace=True)."""


def remove_demo_data(session: Session) -> None:
    agents = select(Agent.id).where(Agent.external_id.like(f"{PREFIX}%"))
    assessments = select(Assessment.id).where(Assessment.agent_id.in_(agents))
    session.execute(delete(Recommendation).where(Recommendation.agent_id.in_(agents)))
    session.execute(delete(CampaignMember).where(CampaignMember.agent_id.in_(agents)))
    session.execute(delete(CompetenceResult).where(CompetenceResult.assessment_id.in_(assessments)))
    session.execute(delete(Assessment).where(Assessment.agent_id.in_(agents)))
    session.execute(delete(Agent).where(Agent.external_id.like(f"{PREFIX}%")))
    session.execute(delete(Campaign).where(Campaign.code.like(f"{PREFIX}%")))
    session.flush()


def _ensure_directorates(session: Session) -> None:
    known = set(session.scalars(select(Directorate.code)))
    labels = {
        "DGFIP": "Direction générale des Finances publiques",
        "DOUANE": "Direction générale des douanes et droits indirects",
        "DGCCRF": "Direction générale de la concurrence, de la consommation et de la répression des fraudes",
        "TRESOR": "Direction générale du Trésor",
    }
    for code, label in labels.items():
        if code not in known:
            session.add(Directorate(code=code, name=label))
    session.flush()


def _next_ids(session: Session) -> Ids:
    tables = {
        "agent": Agent.id,
        "member": CampaignMember.id,
        "assessment": Assessment.id,
        "result": CompetenceResult.id,
        "recommendation": Recommendation.id,
    }
    return Ids({name: int(session.scalar(select(func.max(col))) or 0) + 1 for name, col in tables.items()})


def _fix_sequences(session: Session) -> None:
    """PostgreSQL: move the id sequences past the ids assigned here."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in (Agent, CampaignMember, Assessment, CompetenceResult, Recommendation):
        highest = select(func.coalesce(func.max(model.id), 1)).scalar_subquery()
        session.execute(select(func.setval(func.pg_get_serial_sequence(model.__tablename__, "id"), highest)))


def _create_campaigns(session: Session, n_agents: int, today: date, codes: Sequence[str]) -> list[Wave]:
    waves: list[Wave] = []
    allotted = 0
    directorate_counts: dict[str, int] = {}
    for i, (code, (share, _domain, _units)) in enumerate(names.DIRECTORATES.items()):
        last = i == len(names.DIRECTORATES) - 1
        directorate_counts[code] = n_agents - allotted if last else round(n_agents * share)
        allotted += directorate_counts[code]
    profile = {c: (2 if c in ("3.4", "3.2") else 3) for c in codes}
    for directorate, wave, weeks, share, _reach in names.WAVES:
        waves_of = [w for w in names.WAVES if w[0] == directorate]
        is_last = (directorate, wave) == waves_of[-1][:2]
        taken = sum(w.agents for w in waves if w.directorate == directorate)
        count = (
            directorate_counts[directorate] - taken
            if is_last
            else round(directorate_counts[directorate] * share)
        )
        starts_on = today - timedelta(weeks=weeks)
        campaign = Campaign(
            code=f"{PREFIX}{directorate}-V{wave}",
            name=f"PACNum {directorate} — vague {wave}",
            directorate_code=directorate,
            wave=wave,
            starts_on=starts_on,
            ends_on=starts_on + timedelta(weeks=16),
            description="Campagne de démonstration générée (données fictives).",
            target_profile=profile,
            level_cap=LEVEL_CAP,
            lms_context_ids=[f"demo-{directorate.lower()}-{wave}"],
            settings={"grade_mode": "percent"},
        )
        session.add(campaign)
        session.flush()
        start = datetime.combine(starts_on, time(8, 0), UTC)
        waves.append(Wave(campaign.id, directorate, start, count))
    return waves


def _catalogue(session: Session) -> list[tuple[int, str]]:
    """(training id, main competence) of the active trainings."""
    stmt = (
        select(Training.id, func.min(TrainingCompetence.competence))
        .join(TrainingCompetence, TrainingCompetence.training_id == Training.id)
        .where(Training.active.is_(True))
        .group_by(Training.id)
        .order_by(Training.id)
    )
    return [(int(i), str(c)) for i, c in session.execute(stmt)]


def generate(
    session: Session,
    framework: Framework,
    n_agents: int,
    *,
    seed: int = 1,
    replace: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> DemoSummary:
    """Fill the demo programme. The caller commits (chunks are flushed as they go)."""
    if n_agents < 1:
        raise ValueError("n_agents must be at least 1")
    existing = session.scalar(
        select(func.count()).select_from(Campaign).where(Campaign.code.like(f"{PREFIX}%"))
    )
    if existing and not replace:
        raise DemoDataExists("demo campaigns already exist")
    if existing:
        remove_demo_data(session)
    now = now or utcnow()
    rng = np.random.default_rng(seed)
    codes = framework.competence_codes
    _ensure_directorates(session)
    waves = _create_campaigns(session, n_agents, now.date(), codes)
    catalogue = _catalogue(session)
    summary = DemoSummary(campaigns=len(waves), catalogue=bool(catalogue))
    ids = _next_ids(session)
    writer = Writer(session, rng, codes, catalogue, ids, now, summary)
    serial = 0
    for wave in waves:
        units = units_for(wave.directorate, rng)
        done = 0
        while done < wave.agents:
            n = min(CHUNK_AGENTS, wave.agents - done)
            writer.chunk(wave, units, serial, n)
            serial += n
            done += n
            if progress is not None:
                progress(n)
    _fix_sequences(session)
    session.flush()
    for wave in waves:
        stats.refresh(session, wave.campaign_id)
    _analyze(session)
    return summary


def _analyze(session: Session) -> None:
    """Fresh planner statistics after a bulk load (the tracker's query plans depend on them)."""
    tables = ("agent", "campaign_member", "assessment", "competence_result", "recommendation")
    for table in tables:
        session.execute(text(f"ANALYZE {table}"))


def seed_demo(session: Session, settings: Settings) -> str:
    """`bridge setup --demo` (make run): a small programme for the tracker, once."""
    existing = session.scalar(
        select(func.count()).select_from(Campaign).where(Campaign.code.like(f"{PREFIX}%"))
    )
    if existing:
        return "demo campaigns already there"
    summary = generate(session, load_framework(), 3000, seed=1)
    return summary.line() + " (more: flask --app wsgi bridge demo-data --agents 130000 --replace)"


def vacuum_analyze(engine: Engine) -> None:
    """PostgreSQL after a bulk load: VACUUM sets the visibility map that index-only scans need (the
    tracker's funnel counts are index-only), ANALYZE refreshes the planner's statistics. Outside any
    transaction, as VACUUM requires; autovacuum would get there too, later."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("agent", "campaign_member", "assessment", "competence_result", "recommendation"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
