"""Catalogue files: CSV (one row per training) and YAML (a ``trainings:`` list), read and written.

Reading never touches the database: each row/entry becomes a ParsedEntry carrying its location (CSV line,
YAML entry index), the TrainingData when it could be built, the LMS connection reference to resolve, and
every FieldError found. docs/catalogue.md documents both formats.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from flask_babel import gettext as _

from bridge.catalog import fields as f
from bridge.catalog.schema import CompetenceWindow, FieldError, TrainingData

COLUMNS = (
    "code",
    "title",
    "description",
    "modality",
    "duration_minutes",
    "language",
    "theme",
    "competences",
    "lms_connection",
    "moodle_course_id",
    "moodle_course_shortname",
    "place",
    "starts_at",
    "ends_at",
    "capacity",
    "registration_deadline",
    "active",
)
REQUIRED = ("code", "title", "modality", "duration_minutes", "competences")
FORMATS = ("csv", "yaml")


class CatalogFileError(ValueError):
    """The file as a whole cannot be read (not CSV/YAML, no header, wrong top-level shape)."""


@dataclass(frozen=True)
class Location:
    kind: str  # "line" (CSV, 1-based, the header is line 1) | "entry" (YAML, 1-based index)
    number: int

    def __str__(self) -> str:
        if self.kind == "line":
            return str(_("ligne %(number)d", number=self.number))
        return str(_("entrée %(number)d", number=self.number))


@dataclass
class ParsedEntry:
    location: Location
    data: TrainingData | None
    lms_connection: str | None = None
    errors: list[FieldError] = field(default_factory=list)


@dataclass(frozen=True)
class ExportRow:
    data: TrainingData
    lms_connection: str | None


def detect_format(filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    raise CatalogFileError(
        _("format inconnu pour « %(name)s » : un fichier .csv, .yaml ou .yml est attendu", name=filename)
    )


def read_catalogue(text: str, fmt: str, zone: ZoneInfo) -> list[ParsedEntry]:
    raw = _read_csv(text) if fmt == "csv" else _read_yaml(text)
    return [_convert(location, values, zone) for location, values in raw]


def _read_csv(text: str) -> list[tuple[Location, dict[str, Any]]]:
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise CatalogFileError(_("le fichier CSV est vide : une ligne d'en-tête est attendue")) from None
    except csv.Error as exc:
        raise CatalogFileError(_("CSV illisible : %(error)s", error=str(exc))) from None
    unknown = [h for h in header if h not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    problems = []
    if unknown:
        problems.append(_("colonnes inconnues : %(names)s", names=", ".join(unknown)))
    if missing:
        problems.append(_("colonnes obligatoires absentes : %(names)s", names=", ".join(missing)))
    if problems:
        raise CatalogFileError(_("ligne 1 : ") + " ; ".join(problems))
    rows = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                values: dict[str, Any] = dict(zip(header, cells, strict=False))
                if len(cells) > len(header):
                    values["__extra__"] = cells[len(header) :]
                rows.append((Location("line", start), values))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise CatalogFileError(
            _("ligne %(line)d : CSV illisible (%(error)s)", line=start, error=str(exc))
        ) from None
    return rows


def _read_yaml(text: str) -> list[tuple[Location, dict[str, Any]]]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogFileError(_("YAML illisible : %(error)s", error=str(exc))) from None
    entries = document.get("trainings") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise CatalogFileError(_("le fichier YAML doit contenir une liste « trainings: »"))
    rows = []
    for index, entry in enumerate(entries, start=1):
        values = entry if isinstance(entry, dict) else {"__not_a_mapping__": entry}
        rows.append((Location("entry", index), {str(k): v for k, v in values.items()}))
    return rows


def _yaml_competences(value: Any) -> list[CompetenceWindow]:
    if isinstance(value, str):
        return f.parse_competences(value)
    if not isinstance(value, list):
        raise f.FieldValueError(_("une liste de {competence, prerequisite, goal, target} est attendue"))
    windows = []
    for item in value:
        if not isinstance(item, dict) or "competence" not in item or "target" not in item:
            raise f.FieldValueError(_("chaque compétence a besoin de « competence » et « target »"))
        target = f.parse_optional_int(item.get("target"))
        if target is None:
            raise f.FieldValueError(_("« target » est obligatoire"))
        windows.append(
            CompetenceWindow(
                competence=str(item["competence"]),
                prerequisite=f.parse_optional_int(item.get("prerequisite")),
                goal=f.parse_optional_int(item.get("goal")),
                target=target,
            )
        )
    return windows


def _convert(location: Location, values: Mapping[str, Any], zone: ZoneInfo) -> ParsedEntry:
    entry = ParsedEntry(location, None)
    if "__not_a_mapping__" in values:
        entry.errors.append(FieldError("*", _("chaque entrée doit être un ensemble « clé: valeur »")))
        return entry
    if "__extra__" in values:
        entry.errors.append(FieldError("*", _("plus de cellules que de colonnes dans l'en-tête")))
    for name in sorted(set(values) - set(COLUMNS) - {"__extra__"}):
        entry.errors.append(FieldError(name, _("champ inconnu")))
    for name in REQUIRED:
        if f.optional_text(values.get(name)) is None and not isinstance(values.get(name), list):
            entry.errors.append(FieldError(name, _("obligatoire")))
    converted: dict[str, Any] = {}

    def read(name: str, convert: Any) -> None:
        try:
            converted[name] = convert(values.get(name))
        except f.FieldValueError as exc:
            entry.errors.append(FieldError(name, str(exc)))

    read("duration_minutes", f.parse_optional_int)
    read("moodle_course_id", f.parse_optional_int)
    read("capacity", f.parse_optional_int)
    for name in ("starts_at", "ends_at", "registration_deadline"):
        read(name, lambda v: f.parse_datetime(v, zone))
    read("active", f.parse_bool)
    read("competences", lambda v: _yaml_competences(v) if v not in (None, "") else [])
    if entry.errors:
        return entry
    entry.lms_connection = f.optional_text(values.get("lms_connection"))
    entry.data = TrainingData(
        code=f.optional_text(values.get("code")) or "",
        title=f.optional_text(values.get("title")) or "",
        description=str(values.get("description") or "").strip(),
        modality=f.optional_text(values.get("modality")) or "",
        duration_minutes=converted["duration_minutes"] or 0,
        language=f.optional_text(values.get("language")) or "fr",
        theme=f.optional_text(values.get("theme")) or "culture_numerique",
        moodle_course_id=converted["moodle_course_id"],
        moodle_course_shortname=f.optional_text(values.get("moodle_course_shortname")),
        place=f.optional_text(values.get("place")),
        starts_at=converted["starts_at"],
        ends_at=converted["ends_at"],
        capacity=converted["capacity"],
        registration_deadline=converted["registration_deadline"],
        active=converted["active"],
        competences=converted["competences"],
    )
    return entry


def _flat(row: ExportRow, zone: ZoneInfo) -> dict[str, Any]:
    d = row.data
    return {
        "code": d.code,
        "title": d.title,
        "description": d.description,
        "modality": d.modality,
        "duration_minutes": d.duration_minutes,
        "language": d.language,
        "theme": d.theme,
        "competences": f.format_competences(d.competences),
        "lms_connection": row.lms_connection or "",
        "moodle_course_id": "" if d.moodle_course_id is None else d.moodle_course_id,
        "moodle_course_shortname": d.moodle_course_shortname or "",
        "place": d.place or "",
        "starts_at": f.format_datetime(d.starts_at, zone),
        "ends_at": f.format_datetime(d.ends_at, zone),
        "capacity": "" if d.capacity is None else d.capacity,
        "registration_deadline": f.format_datetime(d.registration_deadline, zone),
        "active": "oui" if d.active else "non",
    }


def write_csv(rows: Iterable[ExportRow], zone: ZoneInfo) -> str:
    """CSV with a UTF-8 byte-order mark so that spreadsheet software reads the accents right."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(_flat(row, zone))
    return "\ufeff" + out.getvalue()


def write_yaml(rows: Iterable[ExportRow], zone: ZoneInfo) -> str:
    entries = []
    for row in rows:
        flat = _flat(row, zone)
        entry: dict[str, Any] = {k: v for k, v in flat.items() if v != "" and k != "competences"}
        entry["active"] = row.data.active
        entry["competences"] = [
            {
                k: v
                for k, v in (
                    ("competence", w.competence),
                    ("prerequisite", w.prerequisite),
                    ("goal", w.goal),
                    ("target", w.target),
                )
                if v is not None
            }
            for w in row.data.competences
        ]
        entries.append(entry)
    return yaml.safe_dump({"trainings": entries}, allow_unicode=True, sort_keys=False, width=100)
