import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.assessment.bank import load_bank
from bridge.assessment.engine import Accessibility, Engine, EngineConfig, UnknownItemError
from bridge.assessment.pool import ItemPool
from bridge.assessment.selection import SelectionConfig
from config.framework import load_framework
from tests.assessment.helpers import CODES, item_dict, make_pool, simulate, write_bank

POOL = make_pool()
ENGINE = Engine(POOL)
BIG_ENGINE = Engine(make_pool(per_comp=40, seed=3))


def _engine(**selection: object) -> Engine:
    cfg = EngineConfig(selection=dataclasses.replace(SelectionConfig(), **selection))
    return Engine(POOL, cfg)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.lists(st.tuples(st.integers(0, len(POOL) - 1), st.booleans()), max_size=12, unique_by=lambda t: t[0])
)
def test_right_answer_raises_and_wrong_lowers_own_estimate(history: list[tuple[int, bool]]) -> None:
    answers = [(POOL.ids[i], c) for i, c in history]
    before = ENGINE.result(answers).competences
    fresh = next(i for i in range(len(POOL)) if POOL.ids[i] not in dict(answers))
    code = CODES[POOL.comp[fresh]]
    right = ENGINE.result([*answers, (POOL.ids[fresh], True)]).competences[code]
    wrong = ENGINE.result([*answers, (POOL.ids[fresh], False)]).competences[code]
    assert wrong.theta < before[code].theta < right.theta
    assert right.se < before[code].se + 1e-9 or wrong.se < before[code].se + 1e-9


@settings(max_examples=15, deadline=None, derandomize=True)
@given(st.floats(0.0, 5.0), st.integers(0, 10_000))
def test_estimates_move_toward_truth(truth: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    pool = BIG_ENGINE.pool
    items = np.flatnonzero(pool.comp == 0)
    rng.shuffle(items)
    answers = []
    errors = []
    for n, i in enumerate(items, start=1):
        p = 1 / (1 + np.exp(-pool.a[i] * (truth - pool.b[i])))
        answers.append((pool.ids[i], bool(rng.random() < p)))
        if n in (2, 40):
            est = BIG_ENGINE.result(answers).competences["1.1"]
            errors.append((abs(est.theta - truth), est.se))
    (_, se_few), (err_many, se_many) = errors
    assert se_many < se_few
    assert err_many < 4 * se_many + 0.05


def test_answer_in_one_competence_moves_the_others_through_g() -> None:
    base = ENGINE.result([]).competences
    after = ENGINE.result([(POOL.ids[0], True)]).competences
    own = after["1.1"].theta - base["1.1"].theta
    others = [after[c].theta - base[c].theta for c in CODES[1:]]
    assert all(0 < d < own for d in others)
    wrong = ENGINE.result([(POOL.ids[0], False)]).competences
    assert all(wrong[c].theta < base[c].theta for c in CODES[1:])


def test_full_run_covers_every_competence_and_stops_within_bounds() -> None:
    theta = np.full(16, 2.5)
    answers = simulate(ENGINE, theta, seed=7)
    cfg = ENGINE.config.selection
    assert cfg.min_length <= len(answers) <= cfg.max_length
    comps = {CODES[POOL.comp[POOL.index[i]]] for i, _ in answers[:16]}
    assert comps == set(CODES)
    assert len({i for i, _ in answers}) == len(answers)


def test_stops_at_max_length() -> None:
    assert len(simulate(_engine(max_length=20, se_target=0.01), np.full(16, 2.0), seed=1)) == 20


def test_stops_on_se_target_after_min_length() -> None:
    loose = {"se_target": 5.0, "strong_se_target": 5.0, "ceiling_items": 0}
    assert len(simulate(_engine(min_length=5, **loose), np.full(16, 2.0), seed=1)) == 5
    assert len(simulate(_engine(min_length=18, **loose), np.full(16, 2.0), seed=1)) == 18
    strict = simulate(_engine(min_length=5, se_target=0.9, max_length=60), np.full(16, 2.0), seed=1)
    assert 16 <= len(strict) < 60


def test_first_item_varies_across_seeds_and_is_deterministic_per_seed() -> None:
    firsts = [ENGINE.next_item([], seed=s) for s in range(60)]
    counts = np.unique(firsts, return_counts=True)[1]
    assert len(counts) > 10
    assert counts.max() / 60 <= 1 / 3
    assert ENGINE.next_item([], seed=5) == ENGINE.next_item([], seed=5)


def test_excluded_items_never_selected_while_others_remain() -> None:
    excluded = {item_id for i, item_id in enumerate(POOL.ids) if (i // 16) % 2 == 0}
    answers = simulate(ENGINE, np.full(16, 3.0), seed=2, excluded_ids=excluded)
    assert not excluded & {i for i, _ in answers}


def test_falls_back_to_excluded_items_when_a_competence_has_nothing_else() -> None:
    excluded = {i for i in POOL.ids if i.startswith("1.1-")}
    answers = simulate(ENGINE, np.full(16, 3.0), seed=2, excluded_ids=excluded)
    assert any(i.startswith("1.1-") for i, _ in answers)


def test_accessibility_filter() -> None:
    engine = Engine(make_pool(images_every=3))
    flagged = {engine.pool.ids[i] for i in np.flatnonzero(engine.pool.needs_images)}
    answers = simulate(engine, np.full(16, 2.0), seed=4, accessibility=Accessibility(no_images=True))
    assert not flagged & {i for i, _ in answers}
    answers = simulate(engine, np.full(16, 2.0), seed=4)
    assert flagged & {i for i, _ in answers}


def test_strong_agents_get_more_items_in_their_strong_competence() -> None:
    engine = Engine(make_pool(per_comp=30, seed=5))
    theta = np.full(16, 1.5)
    theta[3] = 6.0
    counts = []
    for seed in range(4):
        answers = simulate(engine, theta, seed=seed)
        counts.append(sum(i.startswith(f"{CODES[3]}-") for i, _ in answers) / len(answers))
    assert np.mean(counts) > 1.5 / 16


def test_unknown_answer_id_is_rejected() -> None:
    with pytest.raises(UnknownItemError):
        ENGINE.next_item([("nope", True)], seed=0)


def test_result_has_levels_and_digcomp_view() -> None:
    result = ENGINE.result(simulate(ENGINE, np.full(16, 3.5), seed=3))
    assert set(result.competences) == set(CODES)
    for est in result.competences.values():
        assert 0 <= est.band_low <= est.level <= est.band_high <= 5
        assert est.pix // 8 == est.level
    assert set(result.digcomp) <= {f"{a}.{n}" for a in range(1, 6) for n in range(1, 7)}


def test_engine_runs_on_a_loaded_bank(tmp_path: Path) -> None:
    files = {
        f"{code}.yaml": {"competence": code, "items": [item_dict(f"{code}-L{n}", level=n) for n in (1, 2, 3)]}
        for code in CODES
    }
    fw = load_framework()
    bank = load_bank(write_bank(tmp_path, files), fw)
    engine = Engine(ItemPool.from_bank(Engine.grid_for(), bank, fw.competence_codes))
    answers = simulate(engine, np.full(16, 2.0), seed=0)
    assert len(answers) >= 16
    assert engine.result(answers, fw).n_answered == len(answers)
