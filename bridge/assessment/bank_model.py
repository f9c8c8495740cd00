"""Typed, immutable item bank records."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ItemKind(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    ORDERING = "ordering"
    SHORT_ANSWER = "short_answer"


@dataclass(frozen=True)
class Text:
    fr: str
    en: str | None = None


@dataclass(frozen=True)
class Option:
    id: str
    text: Text


@dataclass(frozen=True)
class ShortAnswerKey:
    accepted: tuple[str, ...]
    case_sensitive: bool = False


@dataclass(frozen=True)
class Irt:
    a: float
    b: float


@dataclass(frozen=True)
class AccessibilityFlags:
    needs_images: bool = False
    needs_sound: bool = False


Answer = str | tuple[str, ...] | ShortAnswerKey


@dataclass(frozen=True)
class Item:
    id: str
    competence: str
    kind: ItemKind
    level: int
    irt: Irt
    stem: Text
    options: tuple[Option, ...]
    answer: Answer
    feedback: Text
    accessibility: AccessibilityFlags
    active: bool


@dataclass(frozen=True)
class BankError:
    """One problem: ``file: item <id>: <field>: <message>``."""

    file: str
    item_id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.item_id is not None:
            parts.append(f"item {self.item_id}")
        if self.field is not None:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)
