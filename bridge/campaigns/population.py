"""A campaign's target population from a CSV file (the ministry's HR extract).

Columns: external_id, email, given_name, family_name, directorate, unit (French names accepted too).
UTF-8 with or without BOM; ';' (French Excel) or ',' separators, detected from the header line.
Every error is collected with its line and field; nothing is written when there is one.
Agents are matched to existing ones by external id, then e-mail (case-insensitive), and created
otherwise (without an LTI ``sub``: the launch matches them later).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from flask import has_request_context
from flask_babel import gettext
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.campaigns.models import Campaign, CampaignMember, Directorate
from config.database import utcnow

COLUMNS = ("external_id", "email", "given_name", "family_name", "directorate", "unit")
ALIASES = {
    "identifiant": "external_id",
    "matricule": "external_id",
    "courriel": "email",
    "e-mail": "email",
    "mail": "email",
    "prenom": "given_name",
    "prénom": "given_name",
    "nom": "family_name",
    "direction": "directorate",
    "service": "unit",
    "unite": "unit",
    "unité": "unit",
}
MAX_LENGTHS = {"external_id": 100, "email": 320, "given_name": 200, "family_name": 200, "unit": 200}
EMAIL = re.compile(r"^[^@\s;,<>]+@[^@\s;,<>]+\.[^@\s;,<>]+$")
CHUNK = 1000

Progress = Callable[[int], None]


def _(message: str, **params: object) -> str:
    """Translated in a request (the admin page); French source text elsewhere (CLI, jobs)."""
    if has_request_context():
        return str(gettext(message, **params))
    return message % params if params else message


@dataclass(frozen=True)
class PopulationError:
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = _("ligne %(line)d", line=self.line)
        if self.field:
            where += f", {self.field}"
        return f"{where} : {self.message}"


@dataclass(frozen=True)
class PopulationRow:
    line: int
    external_id: str | None
    email: str | None
    given_name: str
    family_name: str
    directorate: str | None
    unit: str | None


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


class PopulationInvalid(ValueError):
    def __init__(self, errors: Sequence[PopulationError]) -> None:
        super().__init__(f"{len(errors)} error(s) in the population file")
        self.errors = list(errors)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PopulationInvalid(
            [
                PopulationError(
                    line,
                    None,
                    _(
                        "le fichier n'est pas encodé en UTF-8 : enregistrez-le au format "
                        "« CSV UTF-8 » depuis votre tableur"
                    ),
                )
            ]
        ) from exc


def _header(raw: list[str]) -> tuple[list[str | None], list[PopulationError]]:
    names: list[str | None] = []
    errors: list[PopulationError] = []
    for cell in raw:
        key = cell.strip().lower().replace(" ", "_")
        key = ALIASES.get(key, key)
        if key == "":
            names.append(None)
        elif key not in COLUMNS:
            errors.append(
                PopulationError(
                    1,
                    cell.strip(),
                    _("colonne inconnue (colonnes attendues : %(cols)s)", cols=", ".join(COLUMNS)),
                )
            )
            names.append(None)
        elif key in names:
            errors.append(PopulationError(1, key, _("colonne en double")))
            names.append(None)
        else:
            names.append(key)
    if "external_id" not in names and "email" not in names:
        errors.append(PopulationError(1, None, _("il faut au moins une colonne external_id ou email")))
    return names, errors


def _directorate_lookup(session: Session) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for directorate in session.scalars(select(Directorate)):
        lookup[directorate.code.lower()] = directorate.code
        lookup[directorate.name.lower()] = directorate.code
    return lookup


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def parse_population(session: Session, data: bytes, campaign: Campaign) -> list[PopulationRow]:
    """Validate the whole file; raise PopulationInvalid with every error found."""
    lines = _rows(_decode(data))
    header = next(lines, None)
    if header is None:
        raise PopulationInvalid([PopulationError(1, None, _("le fichier est vide"))])
    names, errors = _header(header[1])
    if errors:  # rows cannot be read reliably under a wrong header
        raise PopulationInvalid(errors)
    directorates = _directorate_lookup(session)
    rows: list[PopulationRow] = []
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for line, cells in lines:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            errors.append(
                PopulationError(line, None, _("%(n)d valeurs au lieu de %(m)d", n=len(cells), m=len(names)))
            )
            continue
        values = {name: cell.strip() for name, cell in zip(names, cells, strict=True) if name}
        row_errors: list[PopulationError] = []
        for name, limit in MAX_LENGTHS.items():
            if len(values.get(name, "")) > limit:
                row_errors.append(
                    PopulationError(line, name, _("trop long (%(n)d caractères au plus)", n=limit))
                )
        external_id = values.get("external_id") or None
        email = values.get("email") or None
        if external_id is None and email is None:
            row_errors.append(
                PopulationError(line, "external_id", _("il faut un identifiant ou un courriel"))
            )
        if email is not None and not EMAIL.match(email):
            row_errors.append(PopulationError(line, "email", _("courriel invalide : « %(v)s »", v=email)))
        if external_id is not None:
            if external_id in seen_ids:
                row_errors.append(
                    PopulationError(
                        line,
                        "external_id",
                        _("identifiant déjà présent ligne %(other)d", other=seen_ids[external_id]),
                    )
                )
            seen_ids.setdefault(external_id, line)
        if email is not None:
            key = email.lower()
            if key in seen_emails:
                row_errors.append(
                    PopulationError(
                        line, "email", _("courriel déjà présent ligne %(other)d", other=seen_emails[key])
                    )
                )
            seen_emails.setdefault(key, line)
        directorate = None  # empty: the agent's own, else the campaign's (see _update)
        if values.get("directorate"):
            directorate = directorates.get(values["directorate"].lower())
            if directorate is None:
                row_errors.append(
                    PopulationError(
                        line, "directorate", _("direction inconnue : « %(v)s »", v=values["directorate"])
                    )
                )
        errors.extend(row_errors)
        if not row_errors:
            rows.append(
                PopulationRow(
                    line=line,
                    external_id=external_id,
                    email=email,
                    given_name=values.get("given_name", ""),
                    family_name=values.get("family_name", ""),
                    directorate=directorate,
                    unit=values.get("unit") or None,
                )
            )
    if errors:
        raise PopulationInvalid(errors)
    if not rows:
        raise PopulationInvalid([PopulationError(2, None, _("aucune ligne d'agent dans le fichier"))])
    return rows


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
