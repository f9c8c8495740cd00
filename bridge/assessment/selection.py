"""Next-item selection and stopping rule.

1. Stop at ``max_length``; or from ``min_length`` on once every competence that still has items has a
   posterior SD <= ``se_target``; or when nothing is left to ask.
2. Coverage first: while some competences have no answer yet, one of them is drawn at random.
3. Competence choice: the one whose best item would most reduce its posterior variance,
   v^2 I / (1 + v I) (v = posterior variance, I = expected Fisher information of its best item over
   the posterior). Competences already done are damped by ``done_factor``.
   "Ask more when strong": the shared prior pulls strong agents toward the mean, and their posterior SD
   can fall below the target after two right answers. A competence is therefore not done while it looks
   strong (estimate above the population mean + ``strong_sd`` SDs) and its SD is above
   ``strong_se_target``, or while every answer in it is right and its estimate is above the population
   mean (its ceiling is not found yet), up to ``ceiling_items`` items. Such competences are boosted by
   ``strong_boost``.
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
    se_target: float = 0.72
    strong_se_target: float = 0.55
    ceiling_items: int = 4
    min_length: int = 16
    max_length: int = 40
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


@dataclass(frozen=True)
class Status:
    """Per-competence state derived from the posterior and the answers."""

    pending: np.ndarray  # (K,) bool: still needs items
    strong: np.ndarray  # (K,) bool: looks strong, ask more


def status(
    config: SelectionConfig,
    post: Posterior,
    answered_per_comp: np.ndarray,
    wrong_per_comp: np.ndarray,
    population_mean: float,
    population_sd: float,
) -> Status:
    high = post.mean > population_mean + config.strong_sd * population_sd
    strong = high & (post.sd > config.strong_se_target)
    no_ceiling = (
        (answered_per_comp > 0)
        & (wrong_per_comp == 0)
        & (post.mean > population_mean)
        & (answered_per_comp < config.ceiling_items)
    )
    strong = strong | no_ceiling
    return Status(pending=(post.sd > config.se_target) | strong, strong=strong)


def should_stop(config: SelectionConfig, n_answered: int, state: Status, open_per_comp: np.ndarray) -> bool:
    if n_answered >= config.max_length or not open_per_comp.any():
        return True
    if n_answered < config.min_length:
        return False
    return not bool((state.pending & open_per_comp).any())


def select(
    pool: ItemPool,
    post: Posterior,
    candidates: BoolArray,
    answered_per_comp: np.ndarray,
    state: Status,
    config: SelectionConfig,
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
    score = np.where(state.strong, score * config.strong_boost, score)
    score = np.where(state.pending, score, score * config.done_factor)
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
