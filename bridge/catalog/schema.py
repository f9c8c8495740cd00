"""A training as plain data, and the rules it must follow (shared by the admin form, import and CLI).

``validate_training`` collects every problem as a FieldError naming the field, so an import can report
them all at once and an edit form can put each message next to its input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from bridge.catalog.competences import MAX_LEVEL, MIN_LEVEL, is_competence
from bridge.catalog.models import MODALITIES, THEMES

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2}$")
MAX_DURATION_MINUTES = 60 * 24 * 60  # 60 days of training is already a curriculum, not a training
ONLINE_MODALITIES = frozenset({"online", "blended"})
IN_PERSON_MODALITIES = frozenset({"in_person", "blended"})


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class CompetenceWindow:
    """A competence served, with its PIX-style triggers and the level the training brings to.

    prerequisite: fires when the agent's level >= it (None: always); goal: fires when the level <= it
    (None: always); target: the level an agent reaches by following the training.
    """

    competence: str
    prerequisite: int | None
    goal: int | None
    target: int


@dataclass
class TrainingData:
    code: str
    title: str
    modality: str
    duration_minutes: int
    competences: list[CompetenceWindow] = field(default_factory=list)
    description: str = ""
    language: str = "fr"
    theme: str = "culture_numerique"
    lms_connection_id: int | None = None
    moodle_course_id: int | None = None
    moodle_course_shortname: str | None = None
    place: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    capacity: int | None = None
    registration_deadline: datetime | None = None
    active: bool = True


def validate_training(data: TrainingData) -> list[FieldError]:
    """Every rule a training breaks, each naming its field (empty list: valid)."""
    errors: list[FieldError] = []
    if not CODE_PATTERN.match(data.code or ""):
        errors.append(
            FieldError(
                "code", _("obligatoire : lettres, chiffres, « . », « _ » ou « - », 64 caractères au plus")
            )
        )
    if not (data.title or "").strip():
        errors.append(FieldError("title", _("obligatoire")))
    elif len(data.title) > 300:
        errors.append(FieldError("title", _("300 caractères au plus")))
    if data.modality not in MODALITIES:
        errors.append(
            FieldError("modality", _("valeurs possibles : %(values)s", values=", ".join(MODALITIES)))
        )
    if not 1 <= data.duration_minutes <= MAX_DURATION_MINUTES:
        errors.append(
            FieldError(
                "duration_minutes", _("un nombre de minutes entre 1 et %(max)d", max=MAX_DURATION_MINUTES)
            )
        )
    if not LANGUAGE_PATTERN.match(data.language or ""):
        errors.append(FieldError("language", _("un code de langue de deux lettres, par exemple « fr »")))
    if data.theme not in THEMES:
        errors.append(FieldError("theme", _("valeurs possibles : %(values)s", values=", ".join(THEMES))))
    errors.extend(_online_errors(data))
    errors.extend(_in_person_errors(data))
    errors.extend(validate_competences(data.competences))
    return errors


def _online_errors(data: TrainingData) -> Iterable[FieldError]:
    if data.moodle_course_id is not None and data.moodle_course_id < 1:
        yield FieldError("moodle_course_id", _("un identifiant de cours Moodle positif"))
    if data.moodle_course_shortname is not None and len(data.moodle_course_shortname) > 255:
        yield FieldError("moodle_course_shortname", _("255 caractères au plus"))
    has_course = data.moodle_course_id is not None or bool(data.moodle_course_shortname)
    if data.modality in ONLINE_MODALITIES and not has_course:
        yield FieldError(
            "moodle_course_id",
            _("une formation en ligne ou hybride a besoin d'un cours Moodle (identifiant ou nom abrégé)"),
        )
    if data.modality == "in_person" and (has_course or data.lms_connection_id is not None):
        yield FieldError("moodle_course_id", _("une formation en présentiel n'a pas de cours Moodle"))


def _in_person_errors(data: TrainingData) -> Iterable[FieldError]:
    session_fields = {
        "place": data.place,
        "starts_at": data.starts_at,
        "ends_at": data.ends_at,
        "capacity": data.capacity,
    }
    if data.modality in IN_PERSON_MODALITIES:
        for name, value in session_fields.items():
            if value is None or value == "":
                yield FieldError(name, _("obligatoire pour une session en présentiel ou hybride"))
    elif data.modality == "online":
        extra = [name for name, value in session_fields.items() if value not in (None, "")]
        if data.registration_deadline is not None:
            extra.append("registration_deadline")
        for name in extra:
            yield FieldError(name, _("réservé aux sessions en présentiel ou hybrides"))
    if data.place is not None and len(data.place) > 300:
        yield FieldError("place", _("300 caractères au plus"))
    if data.capacity is not None and data.capacity < 1:
        yield FieldError("capacity", _("au moins une place"))
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        yield FieldError("ends_at", _("la fin doit venir après le début"))
    if data.registration_deadline and data.starts_at and data.registration_deadline > data.starts_at:
        yield FieldError("registration_deadline", _("la date limite d'inscription doit précéder le début"))


def validate_competences(windows: list[CompetenceWindow]) -> list[FieldError]:
    errors: list[FieldError] = []
    if not windows:
        errors.append(FieldError("competences", _("au moins une compétence servie")))
    seen: set[str] = set()
    for window in windows:
        where = f"competences[{window.competence}]"
        if not is_competence(window.competence):
            errors.append(FieldError(where, _("compétence inconnue du référentiel")))
        if window.competence in seen:
            errors.append(FieldError(where, _("compétence en double")))
        seen.add(window.competence)
        levels = {"prerequisite": window.prerequisite, "goal": window.goal, "target": window.target}
        out_of_range = [n for n, v in levels.items() if v is not None and not MIN_LEVEL <= v <= MAX_LEVEL]
        for name in out_of_range:
            errors.append(
                FieldError(
                    f"{where}.{name}", _("un niveau entre %(min)d et %(max)d", min=MIN_LEVEL, max=MAX_LEVEL)
                )
            )
        if out_of_range:
            continue
        if window.prerequisite is not None and window.goal is not None and window.prerequisite > window.goal:
            errors.append(
                FieldError(f"{where}.goal", _("le seuil objectif doit être au moins égal au prérequis"))
            )
        if window.goal is not None and window.target <= window.goal:
            errors.append(FieldError(f"{where}.target", _("le niveau visé doit dépasser le seuil objectif")))
        if window.prerequisite is not None and window.target <= window.prerequisite:
            errors.append(FieldError(f"{where}.target", _("le niveau visé doit dépasser le prérequis")))
    return errors
