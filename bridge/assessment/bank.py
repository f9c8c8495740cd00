"""The item bank: typed items, loader, validator, scoring of answers and export.

One YAML (or JSON) file per competence, named after it (``1.1.yaml``)::

    competence: "1.1"
    items:
      - id: "1.1-L1-01"
        kind: single_choice          # single_choice | multiple_choice | ordering | short_answer
        level: 1
        irt: {a: 1.3, b: 1.1}
        stem: {fr: "...", en: "..."}
        options: [{id: "a", fr: "...", en: "..."}, ...]
        answer: "b"
        feedback: {fr: "...", en: "..."}
        accessibility: {needs_images: false, needs_sound: false}
        active: true

``check_bank`` collects every error (file, item id, field path); ``load_bank`` raises on any.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.assessment.bank_model import (
    AccessibilityFlags,
    BankError,
    Irt,
    Item,
    ItemKind,
    Option,
    ShortAnswerKey,
    Text,
)
from bridge.assessment.bank_parse import parse_file
from config.framework import Framework

logger = logging.getLogger(__name__)

__all__ = [
    "AccessibilityFlags",
    "Bank",
    "BankError",
    "BankValidationError",
    "Irt",
    "Item",
    "ItemKind",
    "Option",
    "ShortAnswerKey",
    "Text",
    "check_bank",
    "dump_item",
    "load_bank",
    "score_answer",
]

BANK_SUFFIXES = (".yaml", ".yml", ".json")
Response = str | Sequence[str] | None


class BankValidationError(ValueError):
    def __init__(self, errors: list[BankError]) -> None:
        self.errors = errors
        lines = "\n  ".join(str(e) for e in errors)
        super().__init__(f"invalid item bank ({len(errors)} errors):\n  {lines}")


@dataclass(frozen=True)
class Bank:
    items: tuple[Item, ...]

    def by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}

    def for_competence(self, code: str) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.competence == code)


def _bank_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in BANK_SUFFIXES)


def _read(directory: str | Path, framework: Framework) -> tuple[list[Item], list[BankError]]:
    root = Path(directory)
    errors: list[BankError] = []
    items: list[Item] = []
    if not root.is_dir():
        return [], [BankError(str(root), None, None, "not a directory")]
    seen: dict[str, str] = {}
    competences = set(framework.competence_codes)
    for file in _bank_files(root):
        file_items, file_errors = parse_file(file, competences)
        errors.extend(file_errors)
        for item in file_items:
            if item.id in seen:
                msg = f"duplicate item id {item.id!r} (also in {seen[item.id]})"
                errors.append(BankError(str(file), item.id, "id", msg))
                continue
            seen[item.id] = str(file)
            items.append(item)
    return items, errors


def check_bank(directory: str | Path, framework: Framework) -> list[BankError]:
    """Every problem in the bank directory; an empty list means the bank is valid."""
    return _read(directory, framework)[1]


def load_bank(directory: str | Path, framework: Framework) -> Bank:
    """Load and validate the bank; raise BankValidationError listing all errors."""
    items, errors = _read(directory, framework)
    if errors:
        raise BankValidationError(errors)
    logger.info("Loaded item bank %s: %d items", directory, len(items))
    return Bank(items=tuple(items))


_SPACES = re.compile(r"\s+")


def _normalise(text: str, case_sensitive: bool) -> str:
    collapsed = _SPACES.sub(" ", text.strip())
    return collapsed if case_sensitive else collapsed.casefold()


def score_answer(item: Item, response: Response) -> bool:
    """Whether ``response`` is right; None ("I don't know") is wrong."""
    if response is None:
        return False
    if item.kind is ItemKind.SHORT_ANSWER:
        assert isinstance(item.answer, ShortAnswerKey)
        if not isinstance(response, str):
            return False
        key = item.answer
        given = _normalise(response, key.case_sensitive)
        return any(given == _normalise(acc, key.case_sensitive) for acc in key.accepted)
    given_ids = [response] if isinstance(response, str) else list(response)
    if item.kind is ItemKind.ORDERING:
        return given_ids == list(item.answer)  # type: ignore[arg-type]
    expected = {item.answer} if isinstance(item.answer, str) else set(item.answer)  # type: ignore[arg-type]
    return set(given_ids) == expected and len(given_ids) == len(set(given_ids))


def _text(text: Text) -> dict[str, str]:
    return {"fr": text.fr} if text.en is None else {"fr": text.fr, "en": text.en}


def dump_item(item: Item) -> dict[str, Any]:
    """The item as a mapping in the bank file schema (round-trips through the loader)."""
    out: dict[str, Any] = {
        "id": item.id,
        "kind": item.kind.value,
        "level": item.level,
        "irt": {"a": item.irt.a, "b": item.irt.b},
        "stem": _text(item.stem),
    }
    if item.options:
        out["options"] = [{"id": o.id, **_text(o.text)} for o in item.options]
    if isinstance(item.answer, ShortAnswerKey):
        out["answer"] = {"accepted": list(item.answer.accepted), "case_sensitive": item.answer.case_sensitive}
    elif isinstance(item.answer, str):
        out["answer"] = item.answer
    else:
        out["answer"] = list(item.answer)
    out["feedback"] = _text(item.feedback)
    out["accessibility"] = {
        "needs_images": item.accessibility.needs_images,
        "needs_sound": item.accessibility.needs_sound,
    }
    out["active"] = item.active
    return out
