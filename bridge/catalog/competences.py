"""The 16 competences of the framework, as the catalogue and the recommender need them (code -> titles).

This is the ONE place the catalogue learns the framework from. When ``config/data/framework.yaml`` is
present it is read (its ``competences`` list: code, fr, en); otherwise the CRCN table below, identical to
the reference, is used. Once ``config.framework.load_framework`` is on this branch, ``_load`` becomes a
call to it and the table goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from config.settings import PROJECT_ROOT

FRAMEWORK_FILE = PROJECT_ROOT / "config" / "data" / "framework.yaml"
MIN_LEVEL = 0
MAX_LEVEL = 8


@dataclass(frozen=True)
class CompetenceTitle:
    code: str
    fr: str
    en: str

    def title(self, locale: str) -> str:
        return self.en if locale == "en" else self.fr


_CRCN: tuple[tuple[str, str, str], ...] = (
    ("1.1", "Mener une recherche et une veille d'information", "Searching and monitoring information"),
    ("1.2", "Gérer des données", "Managing data"),
    ("1.3", "Traiter des données", "Processing data"),
    ("2.1", "Interagir", "Interacting"),
    ("2.2", "Partager et publier", "Sharing and publishing"),
    ("2.3", "Collaborer", "Collaborating"),
    ("2.4", "S'insérer dans le monde numérique", "Engaging in the digital world"),
    ("3.1", "Développer des documents textuels", "Developing text documents"),
    ("3.2", "Développer des documents multimédia", "Developing multimedia documents"),
    ("3.3", "Adapter les documents à leur finalité", "Adapting documents to their purpose"),
    ("3.4", "Programmer", "Programming"),
    ("4.1", "Sécuriser l'environnement numérique", "Securing the digital environment"),
    ("4.2", "Protéger les données personnelles et la vie privée", "Protecting personal data and privacy"),
    (
        "4.3",
        "Protéger la santé, le bien-être et l'environnement",
        "Protecting health, well-being and the environment",
    ),
    ("5.1", "Résoudre des problèmes techniques", "Solving technical problems"),
    ("5.2", "Construire un environnement numérique", "Building a digital environment"),
)


def _load(path: Path) -> dict[str, CompetenceTitle]:
    if path.is_file():
        with path.open(encoding="utf-8") as handle:
            raw = yaml.safe_load(handle) or {}
        entries = [(str(c["code"]), str(c["fr"]), str(c["en"])) for c in raw.get("competences") or []]
        if entries:
            return {code: CompetenceTitle(code, fr, en) for code, fr, en in entries}
    return {code: CompetenceTitle(code, fr, en) for code, fr, en in _CRCN}


@cache
def competences() -> Mapping[str, CompetenceTitle]:
    """Competence code -> titles, in framework order."""
    return _load(FRAMEWORK_FILE)


def competence_codes() -> tuple[str, ...]:
    return tuple(competences())


def is_competence(code: str) -> bool:
    return code in competences()


def title(code: str, locale: str = "fr") -> str:
    entry = competences().get(code)
    return entry.title(locale) if entry else code
