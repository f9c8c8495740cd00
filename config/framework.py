"""The competence framework (CRCN/PIX structure mapped to DigComp 2.2): typed loader and validator.

The shipped file is ``config/data/framework.yaml``. ``digcomp_view`` turns per-competence levels into
DigComp 2.2 levels with the rule from the reference: the level is carried over unchanged; where two
competences feed one DigComp competence, the rounded mean (half rounded up); the overall DigComp
competence (5.3) is the rounded mean of all derived levels, only when every area has one; derived levels
below 1 are dropped.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

logger = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).parent / "data" / "framework.yaml"
_COMPETENCE_CODE = re.compile(r"^[1-9]\.[1-9]$")
_BANDS = ("foundation", "intermediate", "advanced", "highly_specialised")


class FrameworkError(ValueError):
    """The framework file is invalid; the message lists every problem found."""


@dataclass(frozen=True)
class Domain:
    code: str
    fr: str
    en: str


@dataclass(frozen=True)
class DigCompTarget:
    code: str
    mean_with: str | None = None


@dataclass(frozen=True)
class Competence:
    code: str
    domain: str
    fr: str
    en: str
    digcomp: tuple[DigCompTarget, ...]


@dataclass(frozen=True)
class Level:
    level: int
    band: str | None
    fr: str
    en: str


@dataclass(frozen=True)
class Framework:
    domains: tuple[Domain, ...]
    competences: tuple[Competence, ...]
    levels: tuple[Level, ...]
    level_cap: int
    digcomp_areas: Mapping[str, int]
    digcomp_overall: str

    @property
    def competence_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.competences)

    def competence(self, code: str) -> Competence:
        for comp in self.competences:
            if comp.code == code:
                return comp
        raise KeyError(code)

    def band_of(self, level: int) -> str | None:
        for lvl in self.levels:
            if lvl.level == level:
                return lvl.band
        raise KeyError(level)

    def digcomp_view(self, levels: Mapping[str, int]) -> dict[str, int]:
        return digcomp_view(levels, self)


def _text(raw: Mapping[str, Any], key: str, where: str, errors: list[str]) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        errors.append(f"{where}: {key}: expected a non-empty string")
        return ""
    return value


def _digcomp_codes(areas: Mapping[str, int]) -> set[str]:
    return {f"{area}.{n}" for area, count in areas.items() for n in range(1, count + 1)}


def _parse_targets(raw: Any, where: str, errors: list[str]) -> tuple[DigCompTarget, ...]:
    if not isinstance(raw, list) or not raw:
        errors.append(f"{where}: digcomp: expected a non-empty list")
        return ()
    targets = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
            errors.append(f"{where}: digcomp[{i}]: expected {{code: ..., mean_with: ...}}")
            continue
        unknown = set(entry) - {"code", "mean_with"}
        if unknown:
            errors.append(f"{where}: digcomp[{i}]: unknown keys {sorted(unknown)}")
        mean_with = entry.get("mean_with")
        if mean_with is not None and not isinstance(mean_with, str):
            errors.append(f"{where}: digcomp[{i}].mean_with: expected a competence code")
            mean_with = None
        targets.append(DigCompTarget(code=entry["code"], mean_with=mean_with))
    return tuple(targets)


def _check_targets(
    competences: tuple[Competence, ...], valid: set[str], overall: str, errors: list[str]
) -> None:
    feeders: dict[str, list[Competence]] = {}
    codes = {c.code for c in competences}
    for comp in competences:
        for t in comp.digcomp:
            where = f"competence {comp.code}: digcomp {t.code}"
            if t.code not in valid:
                errors.append(f"{where}: not a DigComp 2.2 competence")
            elif t.code == overall:
                errors.append(f"{where}: {overall} is derived from all areas and cannot be a target")
            if t.mean_with is not None and t.mean_with not in codes:
                errors.append(f"{where}: mean_with: unknown competence {t.mean_with!r}")
            feeders.setdefault(t.code, []).append(comp)
    for code, comps in feeders.items():
        if len(comps) > 2:
            errors.append(f"DigComp {code}: fed by {len(comps)} competences, at most 2 allowed")
        elif len(comps) == 2:
            first, second = comps
            for comp, other in ((first, second), (second, first)):
                target = next(t for t in comp.digcomp if t.code == code)
                if target.mean_with != other.code:
                    errors.append(
                        f"competence {comp.code}: digcomp {code}: shared with {other.code}, "
                        f"expected mean_with: {other.code!r}"
                    )
        else:
            target = next(t for t in comps[0].digcomp if t.code == code)
            if target.mean_with is not None:
                errors.append(
                    f"competence {comps[0].code}: digcomp {code}: mean_with {target.mean_with!r} "
                    "but that competence does not feed it"
                )


def _parse_levels(raw: Any, errors: list[str]) -> tuple[Level, ...]:
    if not isinstance(raw, list):
        errors.append("levels: expected a list")
        return ()
    levels = []
    for i, entry in enumerate(raw):
        where = f"levels[{i}]"
        if not isinstance(entry, dict):
            errors.append(f"{where}: expected a mapping")
            continue
        band = entry.get("band")
        if band is not None and band not in _BANDS:
            errors.append(f"{where}: band: unknown band {band!r}")
        levels.append(
            Level(
                int(entry.get("level", -1)),
                band,
                _text(entry, "fr", where, errors),
                _text(entry, "en", where, errors),
            )
        )
    if [lvl.level for lvl in levels] != list(range(9)):
        errors.append("levels: expected levels 0 to 8 in order")
    return tuple(levels)


def parse_framework(raw: Any, source: str = "<framework>") -> Framework:
    """Build a validated Framework from parsed YAML; raise FrameworkError listing every problem."""
    errors: list[str] = []
    if not isinstance(raw, dict):
        raise FrameworkError(f"{source}: expected a mapping at the top level")
    domains: list[Domain] = []
    for i, entry in enumerate(raw.get("domains") or []):
        where = f"domains[{i}]"
        code = str(entry.get("code", ""))
        if any(d.code == code for d in domains):
            errors.append(f"{where}: duplicate domain code {code!r}")
        domains.append(Domain(code, _text(entry, "fr", where, errors), _text(entry, "en", where, errors)))
    competences: list[Competence] = []
    for i, entry in enumerate(raw.get("competences") or []):
        code = str(entry.get("code", ""))
        where = f"competence {code or i}"
        if not _COMPETENCE_CODE.match(code):
            errors.append(f"{where}: code: expected a code like '1.1'")
        if any(c.code == code for c in competences):
            errors.append(f"{where}: duplicate competence code {code!r}")
        domain = str(entry.get("domain", ""))
        if not any(d.code == domain for d in domains):
            errors.append(f"{where}: domain: unknown domain {domain!r}")
        elif not code.startswith(domain + "."):
            errors.append(f"{where}: domain: code {code!r} does not belong to domain {domain!r}")
        targets = _parse_targets(entry.get("digcomp"), where, errors)
        competences.append(
            Competence(
                code, domain, _text(entry, "fr", where, errors), _text(entry, "en", where, errors), targets
            )
        )
    digcomp = raw.get("digcomp") or {}
    areas = {str(k): int(v) for k, v in (digcomp.get("areas") or {}).items()}
    overall = str(digcomp.get("overall", ""))
    valid = _digcomp_codes(areas)
    if overall not in valid:
        errors.append(f"digcomp.overall: {overall!r} is not a DigComp 2.2 competence")
    _check_targets(tuple(competences), valid, overall, errors)
    levels = _parse_levels(raw.get("levels"), errors)
    cap = raw.get("level_cap")
    if not isinstance(cap, int) or not 1 <= cap <= 8:
        errors.append("level_cap: expected an integer between 1 and 8")
        cap = 5
    if not competences:
        errors.append("competences: expected at least one competence")
    if errors:
        raise FrameworkError(f"{source}: invalid framework:\n  " + "\n  ".join(errors))
    return Framework(tuple(domains), tuple(competences), levels, cap, areas, overall)


def load_framework(path: str | Path | None = None) -> Framework:
    """Load and validate the framework file (the shipped one by default)."""
    file = Path(path) if path is not None else DEFAULT_PATH
    try:
        with file.open(encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
    except OSError as exc:
        raise FrameworkError(f"{file}: cannot read the framework file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise FrameworkError(f"{file}: not valid YAML ({exc})") from exc
    framework = parse_framework(raw, str(file))
    logger.debug("Loaded framework %s: %d competences", file, len(framework.competences))
    return framework


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def digcomp_view(levels: Mapping[str, int], framework: Framework | None = None) -> dict[str, int]:
    """Map per-competence levels (code -> 0..8) to DigComp 2.2 levels (code -> 1..8).

    Competences missing from ``levels`` are ignored; a DigComp competence fed by two competences takes
    the rounded mean of those given. Derived levels below 1 are dropped.
    """
    fw = framework if framework is not None else _default_framework()
    sources: dict[str, list[int]] = {}
    for comp in fw.competences:
        if comp.code not in levels:
            continue
        for target in comp.digcomp:
            sources.setdefault(target.code, []).append(int(levels[comp.code]))
    derived = {code: _round_half_up(sum(v) / len(v)) for code, v in sources.items()}
    view = {code: level for code, level in derived.items() if level >= 1}
    if view and all(any(code.split(".")[0] == area for code in view) for area in fw.digcomp_areas):
        view[fw.digcomp_overall] = _round_half_up(sum(view.values()) / len(view))
    return dict(sorted(view.items(), key=lambda kv: tuple(int(p) for p in kv[0].split("."))))


_CACHE: dict[str, Framework] = {}


def _default_framework() -> Framework:
    if "default" not in _CACHE:
        _CACHE["default"] = load_framework()
    return _CACHE["default"]
