"""Demo seeder: the demo catalogue (config/data/demo_catalogue.yaml), added by code, never overwritten."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.catalog.formats import read_catalogue
from bridge.catalog.importer import import_catalogue
from bridge.catalog.models import Training
from config.settings import PROJECT_ROOT, Settings

DEMO_CATALOGUE = PROJECT_ROOT / "config" / "data" / "demo_catalogue.yaml"


class DemoCatalogueError(RuntimeError):
    pass


def seed_catalogue(session: Session, settings: Settings) -> str:
    entries = read_catalogue(DEMO_CATALOGUE.read_text(encoding="utf-8"), "yaml", ZoneInfo(settings.timezone))
    present = set(session.scalars(select(Training.code)))
    missing = [e for e in entries if e.data is None or e.data.code not in present]
    report = import_catalogue(session, missing)
    if not report.ok:
        raise DemoCatalogueError("; ".join(str(e) for e in report.errors))
    return f"{len(report.created)} training(s) added, {len(entries) - len(missing)} already there"
