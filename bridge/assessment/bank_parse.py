"""Parsing and validation of one bank file into Items, collecting every error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from bridge.assessment.bank_model import (
    AccessibilityFlags,
    Answer,
    BankError,
    Irt,
    Item,
    ItemKind,
    Option,
    ShortAnswerKey,
    Text,
)

ITEM_KEYS = {"id", "kind", "level", "irt", "stem", "options", "answer", "feedback", "accessibility", "active"}
REQUIRED_KEYS = ("id", "kind", "level", "irt", "stem", "answer", "feedback")
CHOICE_KINDS = {ItemKind.SINGLE_CHOICE, ItemKind.MULTIPLE_CHOICE, ItemKind.ORDERING}
A_RANGE = (0.2, 4.0)
B_RANGE = (-1.0, 9.0)
OPTIONS_RANGE = (3, 8)


class _Ctx:
    """Error sink for one item of one file."""

    def __init__(self, file: str, errors: list[BankError], item_id: str | None, prefix: str = "") -> None:
        self.file, self.errors, self.item_id, self.prefix = file, errors, item_id, prefix

    def err(self, field: str, message: str) -> None:
        self.errors.append(BankError(self.file, self.item_id, self.prefix + field, message))


def _unknown(ctx: _Ctx, raw: dict[str, Any], allowed: set[str], field: str) -> None:
    for key in sorted(set(raw) - allowed, key=str):
        ctx.err(f"{field}.{key}" if field else str(key), "unknown key")


def _text(ctx: _Ctx, raw: Any, field: str, extra: set[str] | None = None) -> Text | None:
    if not isinstance(raw, dict):
        ctx.err(field, "expected a mapping {fr: ..., en: ...}")
        return None
    _unknown(ctx, raw, {"fr", "en"} | (extra or set()), field)
    fr, en = raw.get("fr"), raw.get("en")
    ok = True
    if not isinstance(fr, str) or not fr.strip():
        ctx.err(f"{field}.fr", "required non-empty French text")
        ok = False
    if en is not None and (not isinstance(en, str) or not en.strip()):
        ctx.err(f"{field}.en", "expected non-empty text when given")
        ok = False
    return Text(fr=fr, en=en) if ok else None  # type: ignore[arg-type]


def _irt(ctx: _Ctx, raw: Any) -> Irt | None:
    if not isinstance(raw, dict):
        ctx.err("irt", "expected a mapping {a: ..., b: ...}")
        return None
    _unknown(ctx, raw, {"a", "b"}, "irt")
    values: dict[str, float] = {}
    for key, (low, high) in (("a", A_RANGE), ("b", B_RANGE)):
        value = raw.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high:
            values[key] = float(value)
        else:
            ctx.err(f"irt.{key}", f"expected a number in [{low}, {high}], got {value!r}")
    return Irt(values["a"], values["b"]) if len(values) == 2 else None


def _options(ctx: _Ctx, raw: Any, kind: ItemKind | None) -> tuple[tuple[Option, ...], set[str] | None]:
    """The valid options and the set of option ids (None when the list itself is unusable)."""
    if kind is ItemKind.SHORT_ANSWER:
        if raw is not None:
            ctx.err("options", "forbidden for short_answer")
        return (), set()
    if not isinstance(raw, list) or not OPTIONS_RANGE[0] <= len(raw) <= OPTIONS_RANGE[1]:
        ctx.err("options", f"expected a list of {OPTIONS_RANGE[0]} to {OPTIONS_RANGE[1]} options")
        return (), None
    options: list[Option] = []
    ids: set[str] = set()
    for i, entry in enumerate(raw):
        field = f"options[{i}]"
        if not isinstance(entry, dict):
            ctx.err(field, "expected a mapping {id: ..., fr: ..., en: ...}")
            continue
        opt_id = entry.get("id")
        if not isinstance(opt_id, str) or not opt_id:
            ctx.err(f"{field}.id", "expected a non-empty string")
            continue
        if opt_id in ids:
            ctx.err(f"{field}.id", f"duplicate option id {opt_id!r}")
            continue
        ids.add(opt_id)
        text = _text(ctx, {k: v for k, v in entry.items() if k != "id"}, field)
        if text is not None:
            options.append(Option(opt_id, text))
    return tuple(options), ids


def _answer(ctx: _Ctx, raw: Any, kind: ItemKind, ids: set[str]) -> Answer | None:
    if kind is ItemKind.SINGLE_CHOICE:
        if not isinstance(raw, str) or raw not in ids:
            ctx.err("answer", f"expected one option id among {sorted(ids)}, got {raw!r}")
            return None
        return raw
    if kind is ItemKind.SHORT_ANSWER:
        if not isinstance(raw, dict):
            ctx.err("answer", "expected {accepted: [...], case_sensitive: false}")
            return None
        _unknown(ctx, raw, {"accepted", "case_sensitive"}, "answer")
        accepted, case = raw.get("accepted"), raw.get("case_sensitive", False)
        if not isinstance(accepted, list) or not accepted:
            ctx.err("answer.accepted", "expected a non-empty list of strings")
            return None
        if not all(isinstance(a, str) and a.strip() for a in accepted):
            ctx.err("answer.accepted", "expected non-empty strings")
            return None
        if not isinstance(case, bool):
            ctx.err("answer.case_sensitive", "expected true or false")
            return None
        return ShortAnswerKey(tuple(accepted), case)
    if not isinstance(raw, list) or not raw or not all(isinstance(a, str) for a in raw):
        ctx.err("answer", "expected a non-empty list of option ids")
        return None
    unknown = [a for a in raw if a not in ids]
    if unknown:
        ctx.err("answer", f"unknown option ids {unknown}")
        return None
    if len(set(raw)) != len(raw):
        ctx.err("answer", "repeated option ids")
        return None
    if kind is ItemKind.ORDERING and set(raw) != ids:
        ctx.err("answer", f"ordering must list all option ids, missing {sorted(ids - set(raw))}")
        return None
    return tuple(raw)


def _flags(ctx: _Ctx, raw: Any) -> AccessibilityFlags | None:
    if raw is None:
        return AccessibilityFlags()
    if not isinstance(raw, dict):
        ctx.err("accessibility", "expected {needs_images: bool, needs_sound: bool}")
        return None
    _unknown(ctx, raw, {"needs_images", "needs_sound"}, "accessibility")
    values = {k: raw.get(k, False) for k in ("needs_images", "needs_sound")}
    bad = [k for k, v in values.items() if not isinstance(v, bool)]
    for key in bad:
        ctx.err(f"accessibility.{key}", "expected true or false")
    return None if bad else AccessibilityFlags(**values)


def parse_item(file: str, competence: str, index: int, raw: Any, errors: list[BankError]) -> Item | None:
    if not isinstance(raw, dict):
        _Ctx(file, errors, None).err(f"items[{index}]", "expected a mapping")
        return None
    raw_id = raw.get("id")
    item_id = raw_id if isinstance(raw_id, str) and raw_id.strip() else None
    ctx = _Ctx(file, errors, item_id, "" if item_id else f"items[{index}].")
    before = len(errors)
    _unknown(ctx, raw, ITEM_KEYS, "")
    for key in REQUIRED_KEYS:
        if key not in raw:
            ctx.err(key, "missing required field")
    if item_id is None and "id" in raw:
        ctx.err("id", "expected a non-empty string")
    try:
        kind: ItemKind | None = ItemKind(str(raw.get("kind")))
    except ValueError:
        if "kind" in raw:
            ctx.err(
                "kind", f"unknown kind {raw.get('kind')!r}, expected one of {[k.value for k in ItemKind]}"
            )
        kind = None
    level = raw.get("level")
    if "level" in raw and (not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 8):
        ctx.err("level", f"expected an integer 1..8, got {level!r}")
    irt = _irt(ctx, raw.get("irt")) if "irt" in raw else None
    stem = _text(ctx, raw.get("stem"), "stem") if "stem" in raw else None
    feedback = _text(ctx, raw.get("feedback"), "feedback") if "feedback" in raw else None
    options, option_ids = _options(ctx, raw.get("options"), kind) if kind is not None else ((), None)
    checkable = kind is not None and option_ids is not None and "answer" in raw
    answer = _answer(ctx, raw.get("answer"), kind, option_ids) if checkable else None  # type: ignore[arg-type]
    flags = _flags(ctx, raw.get("accessibility"))
    active = raw.get("active", True)
    if not isinstance(active, bool):
        ctx.err("active", "expected true or false")
    if len(errors) > before or item_id is None or kind is None or irt is None:
        return None
    assert stem is not None
    assert feedback is not None
    assert answer is not None
    assert flags is not None
    return Item(item_id, competence, kind, int(level), irt, stem, options, answer, feedback, flags, active)  # type: ignore[arg-type]


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle) if path.suffix == ".json" else yaml.safe_load(handle)


def parse_file(path: Path, competences: set[str]) -> tuple[list[Item], list[BankError]]:
    file = str(path)
    errors: list[BankError] = []
    try:
        raw = _load(path)
    except (yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        return [], [BankError(file, None, None, f"cannot parse: {exc}")]
    if not isinstance(raw, dict):
        return [], [BankError(file, None, None, "expected a mapping with 'competence' and 'items'")]
    for key in sorted(set(raw) - {"competence", "items"}, key=str):
        errors.append(BankError(file, None, str(key), "unknown key"))
    competence = raw.get("competence")
    if not isinstance(competence, str) or competence not in competences:
        errors.append(BankError(file, None, "competence", f"unknown competence {competence!r}"))
    elif competence != path.stem:
        errors.append(BankError(file, None, "competence", f"{competence!r} does not match file name"))
    items_raw = raw.get("items")
    if not isinstance(items_raw, list):
        errors.append(BankError(file, None, "items", "expected a list"))
        return [], errors
    code = competence if isinstance(competence, str) else path.stem
    items = [parse_item(file, code, i, entry, errors) for i, entry in enumerate(items_raw)]
    return [it for it in items if it is not None], errors
