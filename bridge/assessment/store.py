"""The item bank in the database: import from bank files, export back, load for the engine."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.assessment.bank import Bank, BankValidationError, dump_item, load_bank
from bridge.assessment.bank_model import BankError, Item
from bridge.assessment.bank_parse import parse_item
from bridge.assessment.models import AssessmentItem
from config.database import utcnow
from config.framework import Framework
from config.settings import PROJECT_ROOT

log = logging.getLogger(__name__)

DEFAULT_BANK_DIR = PROJECT_ROOT / "config" / "data" / "items"


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    unchanged: int
    deactivated: int

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.deactivated} deactivated"
        )


def _row_values(item: Item, source: str) -> dict[str, object]:
    data = dump_item(item)
    return {
        "competence": item.competence,
        "kind": item.kind.value,
        "level": item.level,
        "a": item.irt.a,
        "b": item.irt.b,
        "needs_images": item.accessibility.needs_images,
        "needs_sound": item.accessibility.needs_sound,
        "active": item.active,
        "data": data,
        "source": source,
    }


def import_bank(
    session: Session, bank: Bank, *, source: str = "", deactivate_missing: bool = False
) -> ImportSummary:
    """Upsert every item of ``bank``. Items are never deleted (answers refer to them)."""
    existing = {row.id: row for row in session.scalars(select(AssessmentItem))}
    added = updated = unchanged = deactivated = 0
    for item in bank.items:
        values = _row_values(item, source)
        row = existing.get(item.id)
        if row is None:
            session.add(AssessmentItem(id=item.id, updated_at=utcnow(), **values))
            added += 1
            continue
        changed = any(getattr(row, key) != value for key, value in values.items() if key != "source")
        if changed:
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            updated += 1
        else:
            unchanged += 1
    if deactivate_missing:
        present = {item.id for item in bank.items}
        for item_id, row in existing.items():
            if item_id not in present and row.active:
                row.active = False
                row.updated_at = utcnow()
                deactivated += 1
    session.flush()
    summary = ImportSummary(added, updated, unchanged, deactivated)
    log.info("item bank import: %s", summary)
    return summary


def import_directory(
    session: Session, directory: str | Path, framework: Framework, *, deactivate_missing: bool = False
) -> ImportSummary:
    """Validate the bank files (all or nothing) and import them."""
    bank = load_bank(directory, framework)
    return import_bank(session, bank, source=str(directory), deactivate_missing=deactivate_missing)


def ensure_default_bank(session: Session, framework: Framework) -> ImportSummary | None:
    """Import the shipped bank when the database has no item yet (first start)."""
    if session.scalar(select(func.count()).select_from(AssessmentItem)):
        return None
    return import_directory(session, DEFAULT_BANK_DIR, framework)


def load_from_database(session: Session, framework: Framework) -> Bank:
    """Every stored item (active or not: answers to retired items must still be scored)."""
    errors: list[BankError] = []
    items: list[Item] = []
    rows = session.scalars(select(AssessmentItem).order_by(AssessmentItem.id))
    competences = set(framework.competence_codes)
    for index, row in enumerate(rows):
        if row.competence not in competences:
            message = f"unknown competence {row.competence!r}"
            errors.append(BankError("database", row.id, "competence", message))
            continue
        item = parse_item("database", row.competence, index, row.data, errors)
        if item is not None:
            items.append(item)
    if errors:
        raise BankValidationError(errors)
    return Bank(items=tuple(items))


def bank_version(session: Session) -> tuple[int, str]:
    """Changes whenever an item is added or updated (count, latest update)."""
    count, latest = session.execute(
        select(func.count(), func.max(AssessmentItem.updated_at)).select_from(AssessmentItem)
    ).one()
    return int(count or 0), str(latest or "")


def export_directory(session: Session, directory: str | Path, *, include_inactive: bool = True) -> int:
    """Write one YAML file per competence in the bank file schema; returns the number of items."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    stmt = select(AssessmentItem).order_by(AssessmentItem.competence, AssessmentItem.id)
    if not include_inactive:
        stmt = stmt.where(AssessmentItem.active.is_(True))
    by_competence: dict[str, list[dict[str, object]]] = {}
    for row in session.scalars(stmt):
        by_competence.setdefault(row.competence, []).append(row.data)
    total = 0
    for competence, items in by_competence.items():
        content = {"competence": competence, "items": items}
        path = target / f"{competence}.yaml"
        text = yaml.safe_dump(content, allow_unicode=True, sort_keys=False, width=110)
        path.write_text(text, encoding="utf-8")
        total += len(items)
    return total
