from pathlib import Path
from typing import Any

import pytest

from bridge.assessment.bank import (
    BankValidationError,
    ItemKind,
    check_bank,
    dump_item,
    load_bank,
    score_answer,
)
from config.framework import load_framework
from tests.assessment.helpers import item_dict, write_bank

FW = load_framework()


def _bank(tmp_path: Path, items: list[Any], competence: str = "1.1") -> Path:
    return write_bank(tmp_path / "items", {f"{competence}.yaml": {"competence": competence, "items": items}})


def test_valid_bank_loads_all_kinds(tmp_path: Path) -> None:
    kinds = ["single_choice", "multiple_choice", "ordering", "short_answer"]
    directory = _bank(tmp_path, [item_dict(f"1.1-L1-0{i}", kind) for i, kind in enumerate(kinds)])
    assert check_bank(directory, FW) == []
    bank = load_bank(directory, FW)
    assert [it.kind for it in bank.items] == [ItemKind(k) for k in kinds]
    assert bank.items[0].competence == "1.1"
    assert bank.items[0].irt.a == 1.3


def test_json_files_are_accepted(tmp_path: Path) -> None:
    directory = write_bank(tmp_path, {"2.1.json": '{"competence": "2.1", "items": []}'})
    assert check_bank(directory, FW) == []


def test_dump_item_round_trips(tmp_path: Path) -> None:
    kinds = ["single_choice", "multiple_choice", "ordering", "short_answer"]
    raw = [item_dict(f"1.1-L1-0{i}", kind) for i, kind in enumerate(kinds)]
    bank = load_bank(_bank(tmp_path, raw), FW)
    dumped = [dump_item(it) for it in bank.items]
    assert dumped == raw
    again = load_bank(_bank(tmp_path / "again", dumped), FW)
    assert again == bank


F = "1.1.yaml"
ITEM_ERRORS = [
    ({"colour": "red"}, "colour", "unknown key"),
    ({"kind": "essay"}, "kind", "unknown kind 'essay'"),
    ({"level": 9}, "level", "expected an integer 1..8"),
    ({"irt": {"a": 5.0, "b": 1.0}}, "irt.a", "expected a number in [0.2, 4.0]"),
    ({"irt": {"a": 1.0, "b": 12}}, "irt.b", "expected a number in [-1.0, 9.0]"),
    ({"irt": {"a": 1.0, "b": 1.0, "c": 0.2}}, "irt.c", "unknown key"),
    ({"stem": {"en": "only English"}}, "stem.fr", "required non-empty French text"),
    ({"feedback": {"fr": "ok", "de": "nein"}}, "feedback.de", "unknown key"),
    ({"options": [{"id": "a", "fr": "A"}, {"id": "b", "fr": "B"}]}, "options", "expected a list of 3 to 8"),
    (
        {"options": [{"id": "a", "fr": "A"}, {"id": "b", "fr": "B"}, {"id": "b", "fr": "C"}]},
        "options[2].id",
        'duplicate option id "b"'.replace('"', "'"),
    ),
    ({"options": [{"id": "a", "fr": "A"}, {"id": "b"}, {"id": "c", "fr": "C"}]}, "options[1].fr", "French"),
    ({"answer": "z"}, "answer", "expected one option id"),
    ({"accessibility": {"needs_images": "yes"}}, "accessibility.needs_images", "expected true or false"),
    ({"active": "yes"}, "active", "expected true or false"),
]


@pytest.mark.parametrize(("override", "field", "fragment"), ITEM_ERRORS)
def test_item_errors_name_file_item_and_field(
    tmp_path: Path, override: dict, field: str, fragment: str
) -> None:
    directory = _bank(tmp_path, [item_dict("1.1-L2-03", **override)])
    errors = check_bank(directory, FW)
    assert len(errors) == 1, errors
    message = str(errors[0])
    assert message.startswith(str(directory / F))
    assert f": item 1.1-L2-03: {field}: " in message
    assert fragment in message


@pytest.mark.parametrize(
    ("kind", "override", "field", "fragment"),
    [
        ("multiple_choice", {"answer": []}, "answer", "non-empty list"),
        ("multiple_choice", {"answer": ["a", "x"]}, "answer", "unknown option ids ['x']"),
        ("ordering", {"answer": ["a", "b"]}, "answer", "must list all option ids"),
        ("short_answer", {"options": [{"id": "a", "fr": "A"}]}, "options", "forbidden for short_answer"),
        ("short_answer", {"answer": {"accepted": []}}, "answer.accepted", "non-empty list"),
        (
            "short_answer",
            {"answer": {"accepted": ["x"], "case_sensitive": "no"}},
            "answer.case_sensitive",
            "true",
        ),
    ],
)
def test_answer_errors_per_kind(tmp_path: Path, kind: str, override: dict, field: str, fragment: str) -> None:
    errors = check_bank(_bank(tmp_path, [item_dict("1.1-L2-03", kind, **override)]), FW)
    assert len(errors) == 1, errors
    assert f"1.1.yaml: item 1.1-L2-03: {field}: " in str(errors[0])
    assert fragment in str(errors[0])


def test_missing_field_and_missing_id(tmp_path: Path) -> None:
    no_stem = item_dict("1.1-L1-01")
    del no_stem["stem"]
    no_id = item_dict("x")
    del no_id["id"]
    errors = [str(e) for e in check_bank(_bank(tmp_path, [no_stem, no_id]), FW)]
    assert any("item 1.1-L1-01: stem: missing required field" in e for e in errors)
    assert any("1.1.yaml: items[1].id: missing required field" in e for e in errors)


def test_duplicate_item_id_across_files(tmp_path: Path) -> None:
    directory = write_bank(
        tmp_path,
        {
            "1.1.yaml": {"competence": "1.1", "items": [item_dict("dup-1")]},
            "1.2.yaml": {"competence": "1.2", "items": [item_dict("dup-1")]},
        },
    )
    errors = [str(e) for e in check_bank(directory, FW)]
    assert len(errors) == 1
    assert "1.2.yaml: item dup-1: id: duplicate item id 'dup-1' (also in" in errors[0]


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        (
            "1.2.yaml",
            {"competence": "1.1", "items": []},
            "1.2.yaml: competence: '1.1' does not match file name",
        ),
        ("9.9.yaml", {"competence": "9.9", "items": []}, "9.9.yaml: competence: unknown competence '9.9'"),
        ("1.1.yaml", {"competence": "1.1", "items": [], "extra": 1}, "1.1.yaml: extra: unknown key"),
        ("1.1.yaml", {"competence": "1.1", "items": {}}, "1.1.yaml: items: expected a list"),
        ("1.1.yaml", "competence: [unclosed", "1.1.yaml: cannot parse"),
    ],
)
def test_file_level_errors(tmp_path: Path, name: str, content: Any, fragment: str) -> None:
    errors = [str(e) for e in check_bank(write_bank(tmp_path, {name: content}), FW)]
    assert any(fragment in e for e in errors), errors


def test_check_collects_all_errors_and_load_raises(tmp_path: Path) -> None:
    items = [item_dict("a1", level=0), item_dict("a2", answer="q"), item_dict("a3", irt={"a": 0, "b": 0})]
    directory = _bank(tmp_path, items)
    assert len(check_bank(directory, FW)) == 3
    with pytest.raises(BankValidationError, match="3 errors") as info:
        load_bank(directory, FW)
    assert len(info.value.errors) == 3


def _item(tmp_path: Path, kind: str, **override: Any):
    return load_bank(_bank(tmp_path, [item_dict("1.1-L1-01", kind, **override)]), FW).items[0]


def test_score_single_choice(tmp_path: Path) -> None:
    item = _item(tmp_path, "single_choice")
    assert score_answer(item, "b")
    assert score_answer(item, ["b"])
    assert not score_answer(item, "a")
    assert not score_answer(item, None)


def test_score_multiple_choice_is_set_equality(tmp_path: Path) -> None:
    item = _item(tmp_path, "multiple_choice")
    assert score_answer(item, ["c", "a"])
    assert not score_answer(item, ["a"])
    assert not score_answer(item, ["a", "b", "c"])
    assert not score_answer(item, None)


def test_score_ordering_is_exact_sequence(tmp_path: Path) -> None:
    item = _item(tmp_path, "ordering")
    assert score_answer(item, ["c", "a", "b"])
    assert not score_answer(item, ["a", "c", "b"])
    assert not score_answer(item, None)


def test_score_short_answer_normalises(tmp_path: Path) -> None:
    item = _item(tmp_path, "short_answer")
    assert score_answer(item, "  ctrl   +\tc ")
    assert score_answer(item, "COPIER")
    assert not score_answer(item, "coller")
    assert not score_answer(item, None)
    strict = _item(tmp_path / "s", "short_answer", answer={"accepted": ["PDF"], "case_sensitive": True})
    assert score_answer(strict, " PDF ")
    assert not score_answer(strict, "pdf")
