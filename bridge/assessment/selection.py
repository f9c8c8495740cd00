"""Next-item selection and stopping rule.

1. Stop at ``max_length``; or from ``min_length`` on once every competence that still has items has a
   posterior SD <= ``se_target``; or when nothing is left to ask.
2. Coverage first: while some competences have no answer yet, one of them is drawn at random.
3. Competence choice: the one whose best item would most reduce its posterior variance,
   v^2 I / (1 + v I) (v = posterior variance, I = expected Fisher information of its best item over
   the posterior). Competences already at the SE target are damped by ``done_factor``; competences that
   look strong (estimate above the population mean + ``strong_sd`` SDs, SE above target) are boosted by
   ``strong_boost`` so that the shared prior does not pull strong agents toward the mean.
4. Randomesque exposure control: uniform choice among the ``top_k`` most informative items.
Items already answered in this assessment are never chosen; items in ``excluded`` (seen in previous
assessments) are used only when a competence has nothing else left.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bridge.assessment.irt import Posterior
from bridge.assessment.pool import BoolArray, ItemPool


@dataclass(frozen=True)
class SelectionConfig:
    se_target: float = 0.7
    min_length: int = 16
    max_length: int = 48
    top_k: int = 3
    strong_sd: float = 1.0
    strong_boost: float = 3.0
    done_factor: float = 0.05


def candidate_mask(pool: ItemPool, answered: BoolArray, excluded: BoolArray, allowed: BoolArray) -> BoolArray:
    """Items that may be asked: allowed, not answered; excluded ones only where a competence has no other."""
    open_items = allowed & ~answered
    fresh = open_items & ~excluded
    k = len(pool.competences)
    has_fresh = np.bincount(pool.comp[fresh], minlength=k) > 0
    return fresh | (open_items & ~has_fresh[pool.comp])


def should_stop(config: SelectionConfig, n_answered: int, post: Posterior, open_per_comp: np.ndarray) -> bool:
    if n_answered >= config.max_length or not open_per_comp.any():
        return True
    if n_answered < config.min_length:
        return False
    pending = (post.sd > config.se_target) & open_per_comp
    return not bool(pending.any())


def select(
    pool: ItemPool,
    post: Posterior,
    candidates: BoolArray,
    answered_per_comp: np.ndarray,
    config: SelectionConfig,
    population_mean: float,
    population_sd: float,
    rng: np.random.Generator,
) -> int | None:
    """Index of the next item among ``candidates``, or None when there is none."""
    cand = np.flatnonzero(candidates)
    if cand.size == 0:
        return None
    k = len(pool.competences)
    cand_comp = pool.comp[cand]
    expected_info = np.einsum("nt,nt->n", pool.info[cand], post.density[cand_comp])
    best_info = np.zeros(k)
    np.maximum.at(best_info, cand_comp, expected_info)
    has_items = np.bincount(cand_comp, minlength=k) > 0
    var = post.sd**2
    score = var**2 * best_info / (1.0 + var * best_info)
    strong = post.mean > population_mean + config.strong_sd * population_sd
    score = np.where(strong & (post.sd > config.se_target), score * config.strong_boost, score)
    score = np.where(post.sd <= config.se_target, score * config.done_factor, score)
    uncovered = has_items & (answered_per_comp == 0)
    if uncovered.any():
        # Coverage phase: competences are exchangeable under the prior, so take them in random order;
        # this also spreads first items over the whole bank (exposure control).
        chosen = int(rng.choice(np.flatnonzero(uncovered)))
    else:
        chosen = int(np.argmax(np.where(has_items, score, -np.inf)))
    in_comp = cand_comp == chosen
    items = cand[in_comp]
    info = expected_info[in_comp]
    top = min(config.top_k, items.size)
    best = np.argpartition(-info, top - 1)[:top] if items.size > top else np.arange(items.size)
    return int(items[best[rng.integers(top)]])
