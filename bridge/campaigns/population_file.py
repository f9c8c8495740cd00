"""Reading a population CSV file (the ministry's HR extract) into validated rows.

Columns: external_id, email, given_name, family_name, directorate, unit (French names accepted too).
UTF-8 with or without BOM; ';' (French Excel) or ',' separators, detected from the header line.
Every error is collected with its line and field (PopulationInvalid); bridge.campaigns.population writes
the rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from flask import has_request_context
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.campaigns.models import Campaign, Directorate

COLUMNS = ("external_id", "email", "given_name", "family_name", "directorate", "unit")
ALIASES = {
    "identifiant": "external_id",
    "matricule": "external_id",
    "courriel": "email",
    "e-mail": "email",
    "mail": "email",
    "prenom": "given_name",
    "prénom": "given_name",
    "nom": "family_name",
    "direction": "directorate",
    "service": "unit",
    "unite": "unit",
    "unité": "unit",
}
MAX_LENGTHS = {"external_id": 100, "email": 320, "given_name": 200, "family_name": 200, "unit": 200}
EMAIL = re.compile(r"^[^@\s;,<>]+@[^@\s;,<>]+\.[^@\s;,<>]+$")


def translate(message: str, **params: object) -> str:
    """Translated in a request (the admin page); French source text elsewhere (CLI, jobs)."""
    if has_request_context():
        return str(gettext(message, **params))
    return message % params if params else message


_ = translate


@dataclass(frozen=True)
class PopulationError:
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = _("ligne %(line)d", line=self.line)
        if self.field:
            where += f", {self.field}"
        return f"{where} : {self.message}"


@dataclass(frozen=True)
class PopulationRow:
    line: int
    external_id: str | None
    email: str | None
    given_name: str
    family_name: str
    directorate: str | None
    unit: str | None


class PopulationInvalid(ValueError):
    def __init__(self, errors: Sequence[PopulationError]) -> None:
        super().__init__(f"{len(errors)} error(s) in the population file")
        self.errors = list(errors)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PopulationInvalid(
            [
                PopulationError(
                    line,
                    None,
                    _(
                        "le fichier n'est pas encodé en UTF-8 : enregistrez-le au format "
                        "« CSV UTF-8 » depuis votre tableur"
                    ),
                )
            ]
        ) from exc


def _header(raw: list[str]) -> tuple[list[str | None], list[PopulationError]]:
    names: list[str | None] = []
    errors: list[PopulationError] = []
    for cell in raw:
        key = cell.strip().lower().replace(" ", "_")
        key = ALIASES.get(key, key)
        if key == "":
            names.append(None)
        elif key not in COLUMNS:
            errors.append(
                PopulationError(
                    1,
                    cell.strip(),
                    _("colonne inconnue (colonnes attendues : %(cols)s)", cols=", ".join(COLUMNS)),
                )
            )
            names.append(None)
        elif key in names:
            errors.append(PopulationError(1, key, _("colonne en double")))
            names.append(None)
        else:
            names.append(key)
    if "external_id" not in names and "email" not in names:
        errors.append(PopulationError(1, None, _("il faut au moins une colonne external_id ou email")))
    return names, errors


def _directorate_lookup(session: Session) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for directorate in session.scalars(select(Directorate)):
        lookup[directorate.code.lower()] = directorate.code
        lookup[directorate.name.lower()] = directorate.code
    return lookup


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def parse_population(session: Session, data: bytes, campaign: Campaign) -> list[PopulationRow]:
    """Validate the whole file; raise PopulationInvalid with every error found."""
    lines = _rows(_decode(data))
    header = next(lines, None)
    if header is None:
        raise PopulationInvalid([PopulationError(1, None, _("le fichier est vide"))])
    names, errors = _header(header[1])
    if errors:  # rows cannot be read reliably under a wrong header
        raise PopulationInvalid(errors)
    directorates = _directorate_lookup(session)
    rows: list[PopulationRow] = []
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for line, cells in lines:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            errors.append(
                PopulationError(line, None, _("%(n)d valeurs au lieu de %(m)d", n=len(cells), m=len(names)))
            )
            continue
        values = {name: cell.strip() for name, cell in zip(names, cells, strict=True) if name}
        row_errors: list[PopulationError] = []
        for name, limit in MAX_LENGTHS.items():
            if len(values.get(name, "")) > limit:
                row_errors.append(
                    PopulationError(line, name, _("trop long (%(n)d caractères au plus)", n=limit))
                )
        external_id = values.get("external_id") or None
        email = values.get("email") or None
        if external_id is None and email is None:
            row_errors.append(
                PopulationError(line, "external_id", _("il faut un identifiant ou un courriel"))
            )
        if email is not None and not EMAIL.match(email):
            row_errors.append(PopulationError(line, "email", _("courriel invalide : « %(v)s »", v=email)))
        if external_id is not None:
            if external_id in seen_ids:
                row_errors.append(
                    PopulationError(
                        line,
                        "external_id",
                        _("identifiant déjà présent ligne %(other)d", other=seen_ids[external_id]),
                    )
                )
            seen_ids.setdefault(external_id, line)
        if email is not None:
            key = email.lower()
            if key in seen_emails:
                row_errors.append(
                    PopulationError(
                        line, "email", _("courriel déjà présent ligne %(other)d", other=seen_emails[key])
                    )
                )
            seen_emails.setdefault(key, line)
        directorate = None  # empty: the agent's own, else the campaign's (see _update)
        if values.get("directorate"):
            directorate = directorates.get(values["directorate"].lower())
            if directorate is None:
                row_errors.append(
                    PopulationError(
                        line, "directorate", _("direction inconnue : « %(v)s »", v=values["directorate"])
                    )
                )
        errors.extend(row_errors)
        if not row_errors:
            rows.append(
                PopulationRow(
                    line=line,
                    external_id=external_id,
                    email=email,
                    given_name=values.get("given_name", ""),
                    family_name=values.get("family_name", ""),
                    directorate=directorate,
                    unit=values.get("unit") or None,
                )
            )
    if errors:
        raise PopulationInvalid(errors)
    if not rows:
        raise PopulationInvalid([PopulationError(2, None, _("aucune ligne d'agent dans le fichier"))])
    return rows
