"""Import a catalogue file: all or nothing, upsert by code, every error named by line/entry and field."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.catalog import operations
from bridge.catalog.formats import ExportRow, Location, ParsedEntry
from bridge.catalog.lms_check import ClientFactory, check_courses
from bridge.catalog.schema import FieldError
from sync.models import LmsConnection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportProblem:
    location: Location | None
    error: FieldError | None
    message: str = ""

    def __str__(self) -> str:
        if self.error is None:
            return self.message
        if self.error.field == "*":
            return f"{self.location} : {self.error.message}"
        return str(
            _(
                "%(location)s, champ « %(field)s » : %(message)s",
                location=str(self.location),
                field=self.error.field,
                message=self.error.message,
            )
        )


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[ImportProblem] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            return str(_("%(count)d erreur(s) : rien n'a été importé.", count=len(self.errors)))
        counts = {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
        }
        if self.dry_run:
            return str(
                _(
                    "Vérification seule : %(created)d formation(s) à créer, %(updated)d à mettre à jour, "
                    "%(unchanged)d inchangée(s). Rien n'est enregistré.",
                    **counts,
                )
            )
        return str(
            _(
                "%(created)d formation(s) créée(s), %(updated)d mise(s) à jour, %(unchanged)d inchangée(s).",
                **counts,
            )
        )


def _resolve_connections(session: Session, entries: Sequence[ParsedEntry]) -> None:
    connections = list(session.scalars(select(LmsConnection)))
    for entry in entries:
        if entry.data is None or entry.lms_connection is None:
            continue
        ref = entry.lms_connection
        matches = [c for c in connections if str(c.id) == ref or (c.name and c.name == ref)]
        if len(matches) == 1:
            entry.data = replace(entry.data, lms_connection_id=matches[0].id)
        elif not matches:
            entry.errors.append(FieldError("lms_connection", _("aucune connexion LMS « %(ref)s »", ref=ref)))
        else:
            entry.errors.append(
                FieldError(
                    "lms_connection", _("plusieurs connexions portent ce nom : donnez son identifiant")
                )
            )


def import_catalogue(
    session: Session,
    entries: Sequence[ParsedEntry],
    *,
    dry_run: bool = False,
    lms_client: ClientFactory | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate every entry, then upsert them all (unless dry_run or any error). Callers commit."""
    report = ImportReport(dry_run=dry_run)
    _resolve_connections(session, entries)
    seen: dict[str, Location] = {}
    for entry in entries:
        if entry.data is None:
            continue
        first = seen.setdefault(entry.data.code, entry.location)
        if first != entry.location:
            entry.errors.append(FieldError("code", _("code déjà utilisé (%(first)s)", first=str(first))))
        existing = operations.get_by_code(session, entry.data.code)
        entry.errors.extend(operations.check(session, entry.data, existing))
    if lms_client is not None:
        check_courses(session, [e for e in entries if not e.errors], lms_client)
    for entry in entries:
        report.errors.extend(ImportProblem(entry.location, error) for error in entry.errors)
    if report.errors:
        return report
    for entry in entries:
        assert entry.data is not None
        existing = operations.get_by_code(session, entry.data.code)
        if existing is None:
            report.created.append(entry.data.code)
            if not dry_run:
                operations.create_training(session, entry.data)
        elif operations.to_data(existing) == entry.data:
            report.unchanged.append(entry.data.code)
        else:
            report.updated.append(entry.data.code)
            if not dry_run:
                operations.update_training(session, existing, entry.data)
        if progress is not None:
            progress(1)
    log.info(
        "catalogue import%s: %d created, %d updated, %d unchanged",
        " (dry run)" if dry_run else "",
        len(report.created),
        len(report.updated),
        len(report.unchanged),
    )
    return report


def export_rows(session: Session) -> list[ExportRow]:
    """Every training (active or not) with its connection named for the file (name, else id)."""
    connections = {c.id: c for c in session.scalars(select(LmsConnection))}
    names = [c.name for c in connections.values() if c.name]

    def reference(connection_id: int | None) -> str | None:
        if connection_id is None:
            return None
        connection = connections[connection_id]
        if connection.name and names.count(connection.name) == 1:
            return connection.name
        return str(connection.id)

    return [
        ExportRow(operations.to_data(t), reference(t.lms_connection_id))
        for t in operations.list_trainings(session)
    ]
