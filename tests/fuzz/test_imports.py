"""Hostile files through every import command: the item bank, the training catalogue (CSV and YAML) and a
campaign's population CSV. Each run either imports or stops with a readable error (click's exit code 1,
no traceback), and when it stops, nothing at all was written."""

from __future__ import annotations

import copy
import csv
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from flask import Flask
from hypothesis import event, given
from hypothesis import strategies as st

from bridge.app import create_app
from bridge.campaigns.models import Campaign
from bridge.catalog.demo import DEMO_CATALOGUE
from bridge.catalog.formats import COLUMNS
from config.database import Database
from config.settings import Settings
from tests.fuzz.strategies import any_text, json_values
from tests.fuzz.support import THOROUGH, check_answer, fuzz_settings, row_counts
from tests.support import databases

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(0 if THOROUGH else 600)]

BANK_FILE = Path(__file__).resolve().parents[2] / "config" / "data" / "items" / "1.1.yaml"
BANK = yaml.safe_load(BANK_FILE.read_text(encoding="utf-8"))
CATALOGUE = yaml.safe_load(DEMO_CATALOGUE.read_text(encoding="utf-8"))
GOOD_ROWS = [
    "SECU-1,Les bons réflexes,,online,45,fr,securite,4.1:0-2>3,,,PACNUM-41-SECU-1,,,,,,oui",
    'CYBER-LYON,Cybersécurité,,in_person,360,fr,securite,"4.1:3-4>5;4.2:2-3>4",,,,'
    '"IGPDE Lyon, 165 rue Garibaldi",2027-05-18T09:30,2027-05-18T17:00,15,2027-05-04T18:00,oui',
]
POPULATION_HEADER = ["external_id", "email", "given_name", "family_name", "directorate", "unit"]


@pytest.fixture
def cli_app(settings_factory: Any, database: Database) -> Iterator[Flask]:
    settings: Settings = settings_factory()
    app = create_app(settings, database=database)
    with database.session_scope() as session:
        session.add(Campaign(code="FUZZ-1", name="Campagne fuzz"))
    yield app
    databases.clean_tables(database)


def _run(app: Flask, database: Database, args: list[str], content: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        target = str(path.parent if args[:2] == ["items", "import"] else path)
        with database.session_scope() as session:
            before = row_counts(session, exclude=frozenset())
        result: Result = app.test_cli_runner().invoke(args=["bridge", *args, target])
    assert result.exit_code in (0, 1), result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    check_answer(200, result.output)
    event("imported" if result.exit_code == 0 else "refused")
    if result.exit_code != 0:
        with database.session_scope() as session:
            assert row_counts(session, exclude=frozenset()) == before, result.output


def _mutate(document: Any, data: st.DataObject) -> Any:
    """Change, remove or retype one to three values anywhere in a YAML document."""
    document = copy.deepcopy(document)
    for _ in range(data.draw(st.integers(1, 3))):
        node = document
        for _depth in range(data.draw(st.integers(0, 4))):
            if isinstance(node, dict) and node:
                child = node[data.draw(st.sampled_from(sorted(node, key=str)))]
            elif isinstance(node, list) and node:
                child = node[data.draw(st.integers(0, len(node) - 1))]
            else:
                break
            if not isinstance(child, dict | list):
                break
            node = child
        value = data.draw(json_values)
        if isinstance(node, dict):
            key = data.draw(st.one_of(st.sampled_from(sorted(node, key=str) or ["x"]), st.text(max_size=8)))
            if data.draw(st.booleans()):
                node.pop(key, None)
            else:
                node[key] = value
        elif isinstance(node, list):
            node.append(value)
    return document


def _yaml_or_garbage(document: Any, data: st.DataObject) -> bytes:
    if data.draw(st.integers(0, 9)) == 0:
        return data.draw(st.one_of(st.binary(max_size=300), any_text.map(str.encode)))
    return yaml.safe_dump(_mutate(document, data), allow_unicode=True).encode()


@fuzz_settings
@given(data=st.data())
def test_item_bank_import(cli_app: Flask, database: Database, data: st.DataObject) -> None:
    bank = dict(BANK, items=BANK["items"][:4])
    _run(cli_app, database, ["items", "import"], _yaml_or_garbage(bank, data), "bank/1.1.yaml")


@fuzz_settings
@given(data=st.data())
def test_catalogue_yaml_import(cli_app: Flask, database: Database, data: st.DataObject) -> None:
    catalogue = dict(CATALOGUE, trainings=CATALOGUE["trainings"][:4])
    _run(cli_app, database, ["catalog", "import"], _yaml_or_garbage(catalogue, data), "catalogue.yaml")


def _csv(rows: list[list[str]], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue()


def _cells(good: list[list[str]], data: st.DataObject) -> list[list[str]]:
    rows = [list(row) for row in good]
    for _ in range(data.draw(st.integers(0, 4))):
        row = rows[data.draw(st.integers(0, len(rows) - 1))]
        choice = data.draw(st.integers(0, 3))
        if choice == 0 and row:
            row[data.draw(st.integers(0, len(row) - 1))] = data.draw(any_text)
        elif choice == 1 and row:
            row.pop(data.draw(st.integers(0, len(row) - 1)))
        elif choice == 2:
            row.append(data.draw(any_text))
        else:
            rows.append(data.draw(st.lists(any_text, max_size=8)))
    return rows


def _encode(text: str, data: st.DataObject) -> bytes:
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


@fuzz_settings
@given(data=st.data(), delimiter=st.sampled_from([",", ";", "\t"]))
def test_catalogue_csv_import(
    cli_app: Flask, database: Database, data: st.DataObject, delimiter: str
) -> None:
    good = [list(COLUMNS), *(next(csv.reader([row])) for row in GOOD_ROWS)]
    content = _encode(_csv(_cells(good, data), delimiter), data)
    _run(cli_app, database, ["catalog", "import"], content, "catalogue.csv")


@fuzz_settings
@given(data=st.data(), delimiter=st.sampled_from([",", ";"]))
def test_population_import(cli_app: Flask, database: Database, data: st.DataObject, delimiter: str) -> None:
    good = [
        POPULATION_HEADER,
        ["N1", "lea.roux@dgfip.gouv.fr", "Léa", "Roux", "", "SIE Nantes"],
        ["N2", "", "Jean", "Dupont", "", ""],
    ]
    content = _encode(_csv(_cells(good, data), delimiter), data)
    _run(cli_app, database, ["campaign", "import-population", "FUZZ-1"], content, "population.csv")
