"""Writing a campaign's target population (rows read by bridge.campaigns.population_file).

Agents are matched to existing ones by external id, then e-mail (case-insensitive), and created
otherwise (without an LTI ``sub``: the launch matches them later). All or nothing: the caller commits
once, and nothing is written when two rows designate the same agent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.campaigns.models import Campaign, CampaignMember
from bridge.campaigns.population_file import PopulationError, PopulationInvalid, PopulationRow
from bridge.campaigns.population_file import translate as _
from config.database import utcnow

CHUNK = 1000

Progress = Callable[[int], None]


@dataclass
class PopulationSummary:
    rows: int = 0
    agents_created: int = 0
    agents_updated: int = 0
    members_added: int = 0
    already_members: int = 0
    dry_run: bool = False

    def line(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.rows} rows: {self.members_added} members {verb} added "
            f"({self.already_members} already members), {self.agents_created} agents {verb} created, "
            f"{self.agents_updated} existing agents {verb} updated"
        )


def _resolve(session: Session, rows: Sequence[PopulationRow], progress: Progress | None) -> list[int | None]:
    """The existing agent of each row (external id first, then e-mail), or None; errors when two rows
    designate the same agent."""
    found: list[int | None] = []
    owner: dict[int, int] = {}
    errors: list[PopulationError] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        ids = [r.external_id for r in chunk if r.external_id]
        emails = [r.email.lower() for r in chunk if r.email]
        alive = Agent.erased_at.is_(None)
        by_id: dict[str, int] = {}
        for agent_id, external_id in session.execute(
            select(Agent.id, Agent.external_id)
            .where(Agent.external_id.in_(ids), alive)
            .order_by(Agent.id.desc())
        ):
            if external_id is not None:
                by_id[external_id] = agent_id
        by_email: dict[str, int] = {}
        for agent_id, email in session.execute(
            select(Agent.id, func.lower(Agent.email))
            .where(func.lower(Agent.email).in_(emails), alive)
            .order_by(Agent.id.desc())
        ):
            if email is not None:
                by_email[email] = agent_id
        for row in chunk:
            match = by_id.get(row.external_id or "") or by_email.get((row.email or "").lower())
            if match is not None:
                if match in owner:
                    errors.append(
                        PopulationError(
                            row.line,
                            None,
                            _("désigne le même agent que la ligne %(other)d", other=owner[match]),
                        )
                    )
                owner.setdefault(match, row.line)
            found.append(match)
        if progress is not None:
            progress(len(chunk))
    if errors:
        raise PopulationInvalid(errors)
    return found


def _update(agent: Agent, row: PopulationRow, default_directorate: str | None) -> None:
    agent.external_id = agent.external_id or row.external_id
    agent.email = agent.email or row.email
    agent.given_name = row.given_name or agent.given_name
    agent.family_name = row.family_name or agent.family_name
    if row.given_name or row.family_name:
        agent.display_name = f"{agent.given_name} {agent.family_name}".strip()
    agent.directorate = row.directorate or agent.directorate or default_directorate
    agent.unit = row.unit or agent.unit


def import_population(
    session: Session,
    campaign: Campaign,
    rows: Sequence[PopulationRow],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> PopulationSummary:
    """Write a validated population: agents created or updated, memberships added (source "csv").

    Raises PopulationInvalid (nothing written) when two rows designate the same existing agent. The
    caller commits (one transaction: all or nothing)."""
    resolved = _resolve(session, rows, None if not dry_run else progress)
    summary = PopulationSummary(rows=len(rows), dry_run=dry_run)
    now = utcnow()
    for start in range(0, len(rows), CHUNK):
        chunk = list(zip(rows[start : start + CHUNK], resolved[start : start + CHUNK], strict=True))
        existing_ids = [agent_id for _row, agent_id in chunk if agent_id is not None]
        current = {
            m.agent_id: m
            for m in session.scalars(
                select(CampaignMember).where(
                    CampaignMember.campaign_id == campaign.id, CampaignMember.agent_id.in_(existing_ids)
                )
            )
        }
        members = set(current)
        summary.agents_updated += len(existing_ids)
        summary.agents_created += len(chunk) - len(existing_ids)
        summary.already_members += len(members)
        summary.members_added += len(chunk) - len(members)
        if not dry_run:
            agents = {a.id: a for a in session.scalars(select(Agent).where(Agent.id.in_(existing_ids)))}
            new_agents: list[Agent] = []
            for row, agent_id in chunk:
                if agent_id is not None:
                    _update(agents[agent_id], row, campaign.directorate_code)
                    if agent_id in current:  # the file is the reference for this campaign's grouping
                        current[agent_id].directorate = agents[agent_id].directorate
                        current[agent_id].unit = agents[agent_id].unit
                else:
                    agent = Agent(platform_id=None, sub=None, created_at=now)
                    _update(agent, row, campaign.directorate_code)
                    new_agents.append(agent)
            session.add_all(new_agents)
            session.flush()
            targets = [*new_agents, *(agents[i] for i in existing_ids if i not in members)]
            if targets:
                session.execute(
                    insert(CampaignMember),
                    [
                        {
                            "campaign_id": campaign.id,
                            "agent_id": agent.id,
                            "source": "csv",
                            "targeted_at": now,
                            "directorate": agent.directorate,
                            "unit": agent.unit,
                        }
                        for agent in targets
                    ],
                )
            session.flush()
            for obj in [*agents.values(), *new_agents, *current.values()]:
                session.expunge(obj)  # keep memory flat on 130,000-row files
        if progress is not None and not dry_run:
            progress(len(chunk))
    return summary
