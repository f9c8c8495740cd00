"""The engine of this process, built from the item bank stored in the database.

Built once and rebuilt only when the bank changes (an import bumps the bank version), so every request
reuses the precomputed item arrays.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bridge.assessment.bank import Bank
from bridge.assessment.bank_model import Item
from bridge.assessment.engine import Engine, EngineConfig
from bridge.assessment.pool import ItemPool
from bridge.assessment.store import bank_version, load_from_database
from config.framework import Framework, load_framework

log = logging.getLogger(__name__)


class EmptyBankError(RuntimeError):
    """No item is stored: run `flask --app wsgi bridge items import`."""


@dataclass
class LoadedEngine:
    engine: Engine
    items: dict[str, Item]
    active_ids: frozenset[str]


@dataclass
class AssessmentRuntime:
    framework: Framework = field(default_factory=load_framework)
    config: EngineConfig = field(default_factory=EngineConfig)
    _loaded: LoadedEngine | None = None
    _version: tuple[int, str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def engine(self, session: Session, *, level_cap: int | None = None) -> LoadedEngine:
        version = bank_version(session)
        with self._lock:
            if self._loaded is None or version != self._version:
                self._loaded = self._build(load_from_database(session, self.framework))
                self._version = version
                log.info("assessment engine built from %d stored items", version[0])
            loaded = self._loaded
        if level_cap is not None and level_cap != loaded.engine.config.level_cap:
            config = EngineConfig(
                prior=self.config.prior, selection=self.config.selection, level_cap=level_cap
            )
            return LoadedEngine(Engine(loaded.engine.pool, config), loaded.items, loaded.active_ids)
        return loaded

    def _build(self, bank: Bank) -> LoadedEngine:
        if not bank.items:
            raise EmptyBankError("the item bank is empty: run `flask --app wsgi bridge items import`")
        items = {item.id: item for item in bank.items}
        active = Bank(items=tuple(item for item in bank.items if item.active))
        grid = Engine.grid_for(self.config)
        # Retired items stay scorable (old answers) but only active ones can be asked.
        pool = ItemPool.from_bank(grid, bank, self.framework.competence_codes)
        return LoadedEngine(Engine(pool, self.config), items, frozenset(i.id for i in active.items))
