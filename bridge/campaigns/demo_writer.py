"""The rows of the demo programme: agents, funnel dates, assessments with correlated levels,
recommendations, drawn chunk by chunk with numpy and written by bulk inserts (bridge.campaigns.demo_data
drives it)."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, CompetenceResult
from bridge.campaigns import demo_names as names
from bridge.campaigns.models import CampaignMember
from bridge.recommendations.models import Recommendation

PREFIX = "DEMO-"
INSERT_CHUNK = 5000
LEVEL_CAP = 5
# Competence offsets on the level scale: programming is rare, interacting common.
OFFSETS = {"2.1": 0.5, "2.2": 0.2, "3.1": 0.3, "3.2": -0.3, "3.4": -1.2, "1.3": -0.3, "5.2": -0.4}


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
class Ids:
    """Next primary keys, assigned here so rows can refer to each other without a round trip."""

    values: dict[str, int]

    def take(self, table: str, n: int) -> int:
        first = self.values[table]
        self.values[table] = first + n
        return first


def _ascii(value: str) -> str:
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower().replace(" ", "")


def insert_rows(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(model), rows[start : start + INSERT_CHUNK])


@dataclass(frozen=True)
class Wave:
    campaign_id: int
    directorate: str
    start: datetime
    agents: int


def units_for(directorate: str, rng: np.random.Generator) -> list[str]:
    patterns = names.DIRECTORATES[directorate][2]
    units = [p.format(city=c) for p in patterns for c in names.CITIES if "{city}" in p]
    units += [p for p in patterns if "{city}" not in p] + list(names.EXTRA_UNITS.get(directorate, ()))
    rng.shuffle(units)
    return units


class Writer:
    """Draws and inserts one chunk of agents with everything that follows them."""

    def __init__(
        self,
        session: Session,
        rng: np.random.Generator,
        codes: Sequence[str],
        catalogue: list[tuple[int, str]],
        ids: Ids,
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

    def chunk(self, wave: Wave, units: list[str], serial: int, n: int) -> None:
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
        insert_rows(self.session, Agent, agents)
        insert_rows(self.session, Assessment, assessments)
        insert_rows(self.session, CompetenceResult, results)
        insert_rows(self.session, CampaignMember, members)
        insert_rows(self.session, Recommendation, recommendations)
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
        wave: Wave,
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
        wave: Wave,
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
