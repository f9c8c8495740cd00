"""The demo catalogue: valid, varied, covering every competence at levels 1 to 6; seeded idempotently."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.catalog.competences import competence_codes
from bridge.catalog.demo import DEMO_CATALOGUE, seed_catalogue
from bridge.catalog.formats import read_catalogue
from bridge.catalog.models import Training
from bridge.catalog.schema import validate_training
from config.settings import Settings


def test_demo_catalogue_is_valid_and_covers_the_framework() -> None:
    entries = read_catalogue(DEMO_CATALOGUE.read_text(encoding="utf-8"), "yaml", ZoneInfo("Europe/Paris"))
    assert len(entries) >= 40
    trainings = [e.data for e in entries if e.data is not None]
    assert [validate_training(t) for t in trainings] == [[] for _ in trainings]
    served = {w.competence for t in trainings for w in t.competences}
    assert served == set(competence_codes())
    for code in competence_codes():
        reachable = {
            level
            for t in trainings
            for w in t.competences
            if w.competence == code
            for level in range((w.prerequisite or 0), (w.goal if w.goal is not None else 8) + 1)
        }
        assert {1, 2, 3, 4}.issubset(reachable), code  # an agent at levels 1-4 always has something
    targets = {w.target for t in trainings for w in t.competences}
    assert set(range(1, 7)) <= targets
    modalities = Counter(t.modality for t in trainings)
    assert modalities["online"] >= 20
    assert modalities["in_person"] >= 10
    assert modalities["blended"] >= 5
    cities = {
        city
        for t in trainings
        if t.place
        for city in ("Paris", "Lyon", "Toulouse", "Lille", "Nantes")
        if city in t.place
    }
    assert cities == {"Paris", "Lyon", "Toulouse", "Lille", "Nantes"}
    assert all(t.starts_at.year == 2027 for t in trainings if t.starts_at)


def test_seeder_is_idempotent(db_session: Session, settings: Settings) -> None:
    first = seed_catalogue(db_session, settings)
    db_session.commit()
    renamed = db_session.scalars(select(Training).where(Training.code == "PACNUM-41-SECU-1")).one()
    renamed.title = "Titre modifié par un administrateur"
    db_session.commit()
    second = seed_catalogue(db_session, settings)
    assert first.startswith("54 training(s) added")
    assert second == "0 training(s) added, 54 already there"
    assert db_session.scalar(select(func.count()).select_from(Training)) == 54
    assert renamed.title == "Titre modifié par un administrateur"
