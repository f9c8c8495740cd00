"""`flask --app wsgi bridge demo-data`: a realistic programme at scale, written by bulk inserts.

Four directorates in the programme's proportions (DGFIP first), campaigns by wave, agents with a funnel
that depends on how long their wave has been running (dates cut at "now"), finished assessments whose
per-competence levels come from a correlated model (a general ability plus a competence deviation, many
beginners), about 15% assessed twice with progress, and recommendations of the stored catalogue.
It never goes through the assessment engine (too slow at scale): CompetenceResult rows are written
directly, with theta/se consistent with the level. Everything it creates is prefixed DEMO-.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine, delete, func, insert, select, text
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, CompetenceResult
from bridge.campaigns import demo_names as names
from bridge.campaigns.models import Campaign, CampaignMember, Directorate
from bridge.catalog.models import Training, TrainingCompetence
from bridge.recommendations.models import Recommendation
from bridge.tracker import stats
from config.database import utcnow
from config.framework import Framework, load_framework
from config.settings import Settings

PREFIX = "DEMO-"
CHUNK_AGENTS = 2000
INSERT_CHUNK = 5000
LEVEL_CAP = 5
# Competence offsets on the level scale: programming is rare, interacting common.
OFFSETS = {"2.1": 0.5, "2.2": 0.2, "3.1": 0.3, "3.2": -0.3, "3.4": -1.2, "1.3": -0.3, "5.2": -0.4}

Progress = Callable[[int], None]


class DemoDataExists(RuntimeError):
    """Demo campaigns are already there (use replace=True)."""


@dataclass
class DemoSummary:
    agents: int = 0
    campaigns: int = 0
    members: int = 0
    assessments: int = 0
    assessed_twice: int = 0
    results: int = 0
    recommendations: int = 0
    catalogue: bool = True
    by_step: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        recs = (
            f"{self.recommendations} recommendations"
            if self.catalogue
            else "no recommendations (the catalogue is empty: import trainings first)"
        )
        return (
            f"{self.agents} agents in {self.campaigns} campaigns, {self.assessments} finished assessments "
            f"({self.assessed_twice} agents assessed twice, {self.results} competence results), {recs}"
        )


@dataclass
class _Ids:
    """Next primary keys, assigned here so rows can refer to each other without a round trip."""

    values: dict[str, int]

    def take(self, table: str, n: int) -> int:
        first = self.values[table]
        self.values[table] = first + n
        return first


def _ascii(value: str) -> str:
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower().replace(" ", "")


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


def _next_ids(session: Session) -> _Ids:
    tables = {
        "agent": Agent.id,
        "member": CampaignMember.id,
        "assessment": Assessment.id,
        "result": CompetenceResult.id,
        "recommendation": Recommendation.id,
    }
    return _Ids({name: int(session.scalar(select(func.max(col))) or 0) + 1 for name, col in tables.items()})


def _fix_sequences(session: Session) -> None:
    """PostgreSQL: move the id sequences past the ids assigned here."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in (Agent, CampaignMember, Assessment, CompetenceResult, Recommendation):
        highest = select(func.coalesce(func.max(model.id), 1)).scalar_subquery()
        session.execute(select(func.setval(func.pg_get_serial_sequence(model.__tablename__, "id"), highest)))


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(model), rows[start : start + INSERT_CHUNK])


@dataclass(frozen=True)
class _Wave:
    campaign_id: int
    directorate: str
    start: datetime
    agents: int


def _create_campaigns(session: Session, n_agents: int, today: date, codes: Sequence[str]) -> list[_Wave]:
    waves: list[_Wave] = []
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
        waves.append(_Wave(campaign.id, directorate, start, count))
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
    writer = _Writer(session, rng, codes, catalogue, ids, now, summary)
    serial = 0
    for wave in waves:
        units = _units(wave.directorate, rng)
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


def _units(directorate: str, rng: np.random.Generator) -> list[str]:
    patterns = names.DIRECTORATES[directorate][2]
    units = [p.format(city=c) for p in patterns for c in names.CITIES if "{city}" in p]
    units += [p for p in patterns if "{city}" not in p] + list(names.EXTRA_UNITS.get(directorate, ()))
    rng.shuffle(units)
    return units


class _Writer:
    """Draws and inserts one chunk of agents with everything that follows them."""

    def __init__(
        self,
        session: Session,
        rng: np.random.Generator,
        codes: Sequence[str],
        catalogue: list[tuple[int, str]],
        ids: _Ids,
        now: datetime,
        summary: DemoSummary,
    ) -> None:
        self.session, self.rng, self.codes, self.ids, self.now, self.summary = (
            session,
            rng,
            codes,
            ids,
            now,
            summary,
        )
        self.catalogue = catalogue
        self.by_competence: dict[str, list[int]] = {}
        for training_id, competence in catalogue:
            self.by_competence.setdefault(competence, []).append(training_id)
        self.offsets = np.array([OFFSETS.get(c, 0.0) for c in codes])

    def _days(self, mean: float, n: int) -> np.ndarray:
        return self.rng.exponential(mean, n)

    def chunk(self, wave: _Wave, units: list[str], serial: int, n: int) -> None:
        rng, now = self.rng, self.now
        domain = names.DIRECTORATES[wave.directorate][1]
        # Unit sizes follow a Zipf-like law: a few big units, many small ones.
        weights = 1.0 / np.arange(1, len(units) + 1) ** 0.8
        unit_idx = rng.choice(len(units), size=n, p=weights / weights.sum())
        # Funnel delays (days); a step later than now has not happened yet.
        targeted = self._days(2.0, n)
        launched = targeted + self._days(14.0, n)
        assessed = launched + self._days(0.4, n)
        accepted = assessed + self._days(0.6, n)
        enrolled = accepted + self._days(4.0, n)
        completed = enrolled + 7 + self._days(21.0, n)
        keep = {
            "launch": rng.random(n) < 0.93,
            "assess": rng.random(n) < 0.87,
            "accept": rng.random(n) < 0.76,
            "enrol": rng.random(n) < 0.86,
            "complete": rng.random(n) < 0.7,
        }
        general = rng.normal(1.9, 1.0, n)
        theta = general[:, None] + self.offsets[None, :] + rng.normal(0, 0.8, (n, len(self.codes)))
        se = rng.uniform(0.45, 0.75, (n, len(self.codes)))
        retake = rng.random(n) < 0.2
        retake_delay = 21 + self._days(14.0, n)
        gain = rng.uniform(-0.3, 0.9, (n, len(self.codes)))

        agent_id0 = self.ids.take("agent", n)
        member_id0 = self.ids.take("member", n)
        agents: list[dict[str, Any]] = []
        members: list[dict[str, Any]] = []
        assessments: list[dict[str, Any]] = []
        results: list[dict[str, Any]] = []
        recommendations: list[dict[str, Any]] = []
        for i in range(n):
            number = serial + i + 1
            given = names.GIVEN_NAMES[int(rng.integers(len(names.GIVEN_NAMES)))]
            family = names.FAMILY_NAMES[int(rng.integers(len(names.FAMILY_NAMES)))]
            agent_id = agent_id0 + i
            agents.append(
                {
                    "id": agent_id,
                    "external_id": f"{PREFIX}{wave.directorate}-{number:06d}",
                    "email": f"{_ascii(given)}.{_ascii(family)}.{number}@{domain}",
                    "given_name": given,
                    "family_name": family,
                    "display_name": f"{given} {family}",
                    "directorate": wave.directorate,
                    "unit": units[int(unit_idx[i])],
                    "created_at": wave.start,
                }
            )
            dates = self._funnel(
                wave.start, i, keep, targeted, launched, assessed, accepted, enrolled, completed
            )
            member: dict[str, Any] = {
                "id": member_id0 + i,
                "campaign_id": wave.campaign_id,
                "agent_id": agent_id,
                "source": "csv",
                "directorate": wave.directorate,
                "unit": agents[-1]["unit"],
                **dates,
                "first_assessment_id": None,
                "latest_assessment_id": None,
            }
            if dates["assessed_at"] is not None:
                first_id = self._assessment(
                    assessments, results, agent_id, wave, dates["assessed_at"], theta[i], se[i]
                )
                member["first_assessment_id"] = member["latest_assessment_id"] = first_id
                second_at = dates["assessed_at"] + timedelta(days=float(retake_delay[i]))
                if retake[i] and second_at < now:
                    boost = gain[i] + (0.5 if dates["completed_at"] is not None else 0.0)
                    member["latest_assessment_id"] = self._assessment(
                        assessments, results, agent_id, wave, second_at, theta[i] + boost, se[i] * 0.9
                    )
                    self.summary.assessed_twice += 1
                if self.catalogue:
                    self._recommend(recommendations, agent_id, wave, first_id, theta[i], dates)
            members.append(member)
        _insert(self.session, Agent, agents)
        _insert(self.session, Assessment, assessments)
        _insert(self.session, CompetenceResult, results)
        _insert(self.session, CampaignMember, members)
        _insert(self.session, Recommendation, recommendations)
        self.session.flush()
        self.summary.agents += n
        self.summary.members += n
        self.summary.assessments += len(assessments)
        self.summary.results += len(results)
        self.summary.recommendations += len(recommendations)

    def _funnel(
        self, start: datetime, i: int, keep: dict[str, np.ndarray], *delays: np.ndarray
    ) -> dict[str, Any]:
        names_ = (
            "targeted_at",
            "first_launch_at",
            "assessed_at",
            "accepted_at",
            "enrolled_at",
            "completed_at",
        )
        gates = (None, "launch", "assess", "accept", "enrol", "complete")
        dates: dict[str, Any] = dict.fromkeys(names_)
        for name, gate, delay in zip(names_, gates, delays, strict=True):
            at = start + timedelta(days=float(delay[i]))
            if (gate is not None and not keep[gate][i]) or at > self.now:
                break
            dates[name] = at
        if dates["targeted_at"] is None:
            dates["targeted_at"] = start
        return dates

    def _assessment(
        self,
        assessments: list[dict[str, Any]],
        results: list[dict[str, Any]],
        agent_id: int,
        wave: _Wave,
        finished_at: datetime,
        theta: np.ndarray,
        se: np.ndarray,
    ) -> int:
        assessment_id = self.ids.take("assessment", 1)
        result_id = self.ids.take("result", len(self.codes))
        levels = [max(0, min(LEVEL_CAP, math.floor(t))) for t in theta]
        mean_level = sum(levels) / len(levels)
        assessments.append(
            {
                "id": assessment_id,
                "agent_id": agent_id,
                "campaign_id": wave.campaign_id,
                "status": "finished",
                "started_at": finished_at - timedelta(minutes=float(self.rng.uniform(12, 45))),
                "finished_at": finished_at,
                "seed": int(self.rng.integers(2**31)),
                "score_percent": round(100 * mean_level / LEVEL_CAP, 1),
                "average_level": round(mean_level, 2),
            }
        )
        for k, code in enumerate(self.codes):
            t, s, level = float(theta[k]), float(se[k]), levels[k]
            results.append(
                {
                    "id": result_id + k,
                    "assessment_id": assessment_id,
                    "competence": code,
                    "theta": round(t, 4),
                    "se": round(s, 4),
                    "level": level,
                    "level_low": max(0, min(LEVEL_CAP, math.floor(t - s))),
                    "level_high": max(0, min(LEVEL_CAP, math.floor(t + s))),
                    "pix": max(0, min(LEVEL_CAP * 8 + 7, math.floor(t * 8))),
                    "items_answered": 2 + int(self.rng.integers(3)),
                }
            )
        return assessment_id

    def _recommend(
        self,
        rows: list[dict[str, Any]],
        agent_id: int,
        wave: _Wave,
        assessment_id: int,
        theta: np.ndarray,
        dates: dict[str, Any],
    ) -> None:
        chosen: list[int] = []
        for k in np.argsort(theta):
            for training_id in self.by_competence.get(self.codes[int(k)], []):
                if training_id not in chosen:
                    chosen.append(training_id)
                    break
            if len(chosen) == 3:
                break
        proposed_at = dates["assessed_at"]
        for rank, training_id in enumerate(chosen):
            status, decided, enrolled, completed = "proposed", None, None, None
            if rank == 0 and dates["accepted_at"] is not None:
                decided = dates["accepted_at"]
                enrolled, completed = dates["enrolled_at"], dates["completed_at"]
                status = "completed" if completed else "enrolled" if enrolled else "enrolment_pending"
            elif dates["accepted_at"] is not None or self.rng.random() < 0.3:
                status, decided = ("declined" if self.rng.random() < 0.7 else "not_relevant"), proposed_at
            rows.append(
                {
                    "id": self.ids.take("recommendation", 1),
                    "agent_id": agent_id,
                    "training_id": training_id,
                    "assessment_id": assessment_id,
                    "campaign_id": wave.campaign_id,
                    "rank": rank + 1,
                    "reason": f"niveau {max(0, math.floor(float(np.min(theta))))} : formation proposée",
                    "status": status,
                    "proposed_at": proposed_at,
                    "decided_at": decided,
                    "enrolled_at": enrolled,
                    "completed_at": completed,
                }
            )


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
