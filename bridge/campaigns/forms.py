"""The campaign form: parse and validate the posted fields into CampaignData, errors by field."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

from flask_babel import gettext as _

from bridge.campaigns.operations import CODE_PATTERN, GRADE_MODES, CampaignData

CONTEXT_SPLIT = re.compile(r"[\s,;]+")


def _int(raw: Mapping[str, str], name: str, low: int, high: int, errors: dict[str, str], default: int) -> int:
    value = (raw.get(name) or "").strip()
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        errors[name] = _("Saisissez un nombre entier.")
        return default
    if not low <= number <= high:
        errors[name] = _("Saisissez un nombre entre %(low)d et %(high)d.", low=low, high=high)
    return number


def _date(raw: Mapping[str, str], name: str, errors: dict[str, str]) -> date | None:
    value = (raw.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Saisissez une date au format AAAA-MM-JJ.")
        return None


def parse_campaign_form(
    raw: Mapping[str, str],
    competences: Sequence[str],
    directorates: Sequence[str],
    *,
    code: str | None = None,
) -> tuple[CampaignData, dict[str, str]]:
    """Read the form (``code`` given when editing: it does not change). Errors: field name -> message."""
    errors: dict[str, str] = {}
    campaign_code = code if code is not None else (raw.get("code") or "").strip()
    if code is None and not CODE_PATTERN.match(campaign_code):
        errors["code"] = _("De 2 à 64 caractères : lettres, chiffres, « - » ou « _ », sans espace.")
    name = (raw.get("name") or "").strip()
    if not name:
        errors["name"] = _("Donnez un nom à la campagne.")
    elif len(name) > 300:
        errors["name"] = _("300 caractères au plus.")
    directorate = (raw.get("directorate_code") or "").strip() or None
    if directorate is not None and directorate not in directorates:
        errors["directorate_code"] = _("Choisissez une direction de la liste.")
    starts_on = _date(raw, "starts_on", errors)
    ends_on = _date(raw, "ends_on", errors)
    if starts_on and ends_on and ends_on < starts_on and "ends_on" not in errors:
        errors["ends_on"] = _("La date de fin doit suivre la date de début.")
    level_cap = _int(raw, "level_cap", 1, 8, errors, 5)
    profile: dict[str, int] = {}
    for competence in competences:
        field = f"target_{competence}"
        value = _int(raw, field, 0, 8, errors, -1)
        if value >= 0 and field not in errors:
            profile[competence] = value
    grade_mode = (raw.get("grade_mode") or "percent").strip()
    if grade_mode not in GRADE_MODES:
        errors["grade_mode"] = _("Choisissez un mode de note.")
    contexts = [c for c in CONTEXT_SPLIT.split(raw.get("lms_context_ids") or "") if c]
    if any(len(c) > 255 for c in contexts):
        errors["lms_context_ids"] = _("Un identifiant de contexte fait 255 caractères au plus.")
    data = CampaignData(
        code=campaign_code,
        name=name,
        directorate_code=directorate,
        wave=_int(raw, "wave", 1, 99, errors, 1),
        starts_on=starts_on,
        ends_on=ends_on,
        description=(raw.get("description") or "").strip()[:5000],
        target_profile=profile,
        retake_delay_days=_int(raw, "retake_delay_days", 0, 365, errors, 4),
        max_recommendations=_int(raw, "max_recommendations", 1, 20, errors, 5),
        level_cap=level_cap,
        grade_mode=grade_mode,
        lms_context_ids=sorted(set(contexts)),
    )
    return data, errors
