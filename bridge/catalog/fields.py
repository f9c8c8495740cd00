"""Text <-> value conversions of the catalogue's file formats (CSV cells, YAML scalars).

Competences in one cell: ``CODE:PREREQUISITE-GOAL>TARGET`` joined by ``;``, e.g. ``4.1:0-2>3;4.2:1-3>4``
(4.1: prerequisite 0, goal 2, target 3). A blank threshold is open: ``4.1:-2>3`` has no prerequisite,
``4.1:1->3`` no goal. Dates: ISO 8601; without an offset they are read in the configured time zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from bridge.catalog.schema import CompetenceWindow

_WINDOW = re.compile(
    r"^\s*(?P<code>[^:\s]+)\s*:\s*(?P<pre>\d*)\s*-\s*(?P<goal>\d*)\s*>\s*(?P<target>\d+)\s*$"
)
TRUE_WORDS = frozenset({"1", "true", "yes", "oui", "vrai", "o", "y"})
FALSE_WORDS = frozenset({"0", "false", "no", "non", "faux", "n"})


class FieldValueError(ValueError):
    """A value cannot be read; the message says what was expected."""


def parse_competences(text: str) -> list[CompetenceWindow]:
    windows = []
    for part in (p for p in text.split(";") if p.strip()):
        match = _WINDOW.match(part)
        if match is None:
            raise FieldValueError(
                _(
                    "« %(part)s » ne suit pas la forme CODE:PRÉREQUIS-OBJECTIF>VISÉ, par exemple 4.1:0-2>3",
                    part=part.strip(),
                )
            )
        windows.append(
            CompetenceWindow(
                competence=match["code"],
                prerequisite=int(match["pre"]) if match["pre"] else None,
                goal=int(match["goal"]) if match["goal"] else None,
                target=int(match["target"]),
            )
        )
    return windows


def format_competences(windows: list[CompetenceWindow]) -> str:
    def level(value: int | None) -> str:
        return "" if value is None else str(value)

    return ";".join(f"{w.competence}:{level(w.prerequisite)}-{level(w.goal)}>{w.target}" for w in windows)


def parse_optional_int(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise FieldValueError(_("un nombre entier est attendu"))
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise FieldValueError(_("un nombre entier est attendu (reçu « %(value)s »)", value=value)) from None


def parse_bool(value: Any, default: bool = True) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise FieldValueError(_("« oui » ou « non » est attendu (reçu « %(value)s »)", value=value))


def parse_datetime(value: Any, zone: ZoneInfo) -> datetime | None:
    """ISO 8601 date-time (or a YAML timestamp) -> aware UTC; a naive value is local to ``zone``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time(0, 0))
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise FieldValueError(
                _(
                    "une date ISO 8601 est attendue, par exemple 2027-03-15T09:30 (reçu « %(value)s »)",
                    value=value,
                )
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def format_datetime(value: datetime | None, zone: ZoneInfo) -> str:
    return "" if value is None else value.astimezone(zone).isoformat(timespec="minutes")


def optional_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
