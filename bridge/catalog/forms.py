"""The admin edit form of a training (Flask-WTF, CSRF-protected) and its conversion to TrainingData."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from bridge.catalog.competences import MAX_LEVEL, MIN_LEVEL, competence_codes
from bridge.catalog.models import MODALITIES, THEMES
from bridge.catalog.schema import CompetenceWindow, FieldError, TrainingData

LEVEL = [Optional(), NumberRange(MIN_LEVEL, MAX_LEVEL)]


def modality_label(modality: str) -> str:
    labels = {"online": _l("En ligne"), "in_person": _l("En présentiel"), "blended": _l("Hybride")}
    return str(labels.get(modality, modality))


def theme_label(theme: str) -> str:
    labels = {
        "culture_numerique": _l("Culture numérique"),
        "creativite": _l("Créativité"),
        "multimedia": _l("Multimédia"),
        "securite": _l("Sécurité"),
        "bureautique": _l("Bureautique"),
        "collaboration": _l("Collaboration"),
    }
    return str(labels.get(theme, theme))


class CompetenceRowForm(Form):  # type: ignore[misc]
    competence = HiddenField()
    prerequisite = IntegerField(_l("Prérequis"), validators=LEVEL)
    goal = IntegerField(_l("Seuil objectif"), validators=LEVEL)
    target = IntegerField(_l("Niveau visé"), validators=LEVEL)


class TrainingForm(FlaskForm):  # type: ignore[misc]
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])
    title = StringField(_l("Titre"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional()])
    modality = RadioField(
        _l("Modalité"), choices=[SelectChoice(m, m) for m in MODALITIES], validators=[InputRequired()]
    )
    duration_minutes = IntegerField(_l("Durée (minutes)"), validators=[InputRequired(), NumberRange(min=1)])
    language = StringField(_l("Langue"), default="fr", validators=[DataRequired(), Length(min=2, max=2)])
    theme = SelectField(_l("Thème"), choices=[SelectChoice(t, t) for t in THEMES])
    lms_connection_id = SelectField(_l("Connexion LMS"), coerce=str, validators=[Optional()])
    moodle_course_id = IntegerField(
        _l("Identifiant du cours Moodle"), validators=[Optional(), NumberRange(min=1)]
    )
    moodle_course_shortname = StringField(
        _l("Nom abrégé du cours Moodle"), validators=[Optional(), Length(max=255)]
    )
    place = StringField(_l("Lieu"), validators=[Optional(), Length(max=300)])
    starts_at = DateTimeLocalField(_l("Début"), validators=[Optional()])
    ends_at = DateTimeLocalField(_l("Fin"), validators=[Optional()])
    capacity = IntegerField(_l("Nombre de places"), validators=[Optional(), NumberRange(min=1)])
    registration_deadline = DateTimeLocalField(_l("Date limite d'inscription"), validators=[Optional()])
    active = BooleanField(_l("Active (peut être recommandée)"), default=True)
    competences = FieldList(FormField(CompetenceRowForm))

    def prepare(self, connections: list[tuple[int, str]]) -> None:
        self.modality.choices = [SelectChoice(m, modality_label(m)) for m in MODALITIES]
        self.theme.choices = [SelectChoice(t, theme_label(t)) for t in THEMES]
        self.lms_connection_id.choices = [
            SelectChoice("", str(_l("Aucune (celle de la plateforme de l'agent)")))
        ] + [SelectChoice(str(cid), name) for cid, name in connections]
        present = {row.form.competence.data for row in self.competences}
        for code in competence_codes():
            if code not in present:
                self.competences.append_entry({"competence": code})

    def fill(self, data: TrainingData, zone: ZoneInfo) -> None:
        for name in (
            "code", "title", "description", "modality", "duration_minutes", "language", "theme",
            "moodle_course_id", "moodle_course_shortname", "place", "capacity", "active",
        ):  # fmt: skip
            getattr(self, name).data = getattr(data, name)
        self.lms_connection_id.data = str(data.lms_connection_id or "")
        for name in ("starts_at", "ends_at", "registration_deadline"):
            value: datetime | None = getattr(data, name)
            getattr(self, name).data = value.astimezone(zone).replace(tzinfo=None) if value else None
        windows = {w.competence: w for w in data.competences}
        for code in competence_codes():
            window = windows.get(code)
            values: dict[str, object] = {"competence": code}
            if window is not None:
                values |= {"prerequisite": window.prerequisite, "goal": window.goal, "target": window.target}
            self.competences.append_entry(values)

    def to_data(self, zone: ZoneInfo) -> TrainingData:
        def local(value: datetime | None) -> datetime | None:
            return value.replace(tzinfo=zone) if value else None

        windows = [
            CompetenceWindow(row.competence.data, row.prerequisite.data, row.goal.data, row.target.data)
            for row in (entry.form for entry in self.competences)
            if row.target.data is not None or row.prerequisite.data is not None or row.goal.data is not None
        ]
        return TrainingData(
            code=(self.code.data or "").strip(),
            title=self.title.data or "",
            description=self.description.data or "",
            modality=self.modality.data or "",
            duration_minutes=self.duration_minutes.data or 0,
            language=(self.language.data or "").strip(),
            theme=self.theme.data or "",
            lms_connection_id=int(self.lms_connection_id.data) if self.lms_connection_id.data else None,
            moodle_course_id=self.moodle_course_id.data,
            moodle_course_shortname=(self.moodle_course_shortname.data or "").strip() or None,
            place=(self.place.data or "").strip() or None,
            starts_at=local(self.starts_at.data),
            ends_at=local(self.ends_at.data),
            capacity=self.capacity.data,
            registration_deadline=local(self.registration_deadline.data),
            active=bool(self.active.data),
            competences=[
                CompetenceWindow(
                    w.competence, w.prerequisite, w.goal, w.target if w.target is not None else -1
                )
                for w in windows
            ],
        )

    def attach(self, errors: list[FieldError]) -> None:
        """Put each rule's message on the input it concerns (competence rows by their code)."""
        rows = {entry.form.competence.data: entry.form for entry in self.competences}
        for error in errors:
            name, _sep, rest = error.field.partition("[")
            if name == "competences" and rest:
                code, _sep, sub = rest.partition("]")
                row = rows.get(code)
                field = getattr(row, sub.lstrip(".") or "target", None) if row is not None else None
            else:
                field = getattr(self, "lms_connection_id" if name == "lms_connection" else name, None)
            target = field if field is not None and hasattr(field, "errors") else self.code
            if isinstance(target.errors, tuple):
                target.errors = list(target.errors)
            target.errors.append(error.message)


class ImportForm(FlaskForm):  # type: ignore[misc]
    file = FileField(
        _l("Fichier du catalogue (CSV ou YAML)"),
        validators=[
            FileRequired(),
            FileAllowed(["csv", "yaml", "yml"], _l("Un fichier .csv, .yaml ou .yml")),
        ],
    )
    dry_run = BooleanField(_l("Vérifier seulement, sans rien enregistrer"))
    check_lms = BooleanField(_l("Vérifier que chaque cours existe dans Moodle"))
