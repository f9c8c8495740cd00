from pathlib import Path

import pytest
import yaml

from config.framework import DEFAULT_PATH, FrameworkError, digcomp_view, load_framework, parse_framework


def test_shipped_framework_loads() -> None:
    fw = load_framework()
    assert len(fw.domains) == 5
    assert len(fw.competences) == 16
    assert fw.level_cap == 5
    assert [lvl.level for lvl in fw.levels] == list(range(9))
    assert fw.band_of(1) == "foundation"
    assert fw.band_of(4) == "intermediate"
    assert fw.band_of(8) == "highly_specialised"
    assert fw.band_of(0) is None
    assert fw.competence("2.4").en == "Engaging in the digital world"


def test_digcomp_levels_carried_over_and_means() -> None:
    levels = dict.fromkeys(load_framework().competence_codes, 2)
    levels |= {"1.2": 2, "1.3": 3, "3.1": 4, "3.2": 1, "2.4": 5}
    view = digcomp_view(levels)
    assert view["1.3"] == 3  # mean(2, 3) = 2.5 rounded half up
    assert view["3.1"] == 3  # mean(4, 1) = 2.5 -> 3
    assert view["2.3"] == view["2.6"] == view["5.4"] == 5
    assert view["1.1"] == view["1.2"] == 2
    assert len(view) == 21
    derived = [v for k, v in view.items() if k != "5.3"]
    assert view["5.3"] == int(sum(derived) / len(derived) + 0.5)


def test_digcomp_drops_levels_below_one_and_needs_every_area_for_5_3() -> None:
    view = digcomp_view({"1.1": 0, "1.2": 3, "4.1": 2})
    assert view == {"1.3": 3, "4.1": 2}
    assert "5.3" not in view
    all_zero = digcomp_view(dict.fromkeys(load_framework().competence_codes, 0))
    assert all_zero == {}


def test_digcomp_mean_with_zero_counts() -> None:
    assert digcomp_view({"1.2": 0, "1.3": 3}) == {"1.3": 2}  # mean(0, 3) = 1.5 -> 2


def _raw() -> dict:
    return yaml.safe_load(Path(DEFAULT_PATH).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda r: r["competences"].append(dict(r["competences"][0])), "duplicate competence code '1.1'"),
        (lambda r: r["competences"][0].update(domain="9"), "competence 1.1: domain: unknown domain '9'"),
        (lambda r: r["competences"][4].update(digcomp=[{"code": "2.9"}]), "digcomp 2.9: not a DigComp 2.2"),
        (lambda r: r["competences"][4].update(digcomp=[{"code": "5.3"}]), "5.3 is derived"),
        (lambda r: r["competences"][1].update(digcomp=[{"code": "1.3"}]), "expected mean_with: '1.3'"),
        (lambda r: r["domains"].append(dict(r["domains"][0])), "duplicate domain code '1'"),
        (lambda r: r.update(level_cap=12), "level_cap"),
        (lambda r: r["competences"][0].update(fr=""), "competence 1.1: fr: expected a non-empty string"),
    ],
)
def test_framework_validation_errors(mutate, fragment: str) -> None:
    raw = _raw()
    mutate(raw)
    with pytest.raises(FrameworkError, match="invalid framework") as info:
        parse_framework(raw, "fw.yaml")
    assert fragment in str(info.value)
    assert str(info.value).startswith("fw.yaml")
