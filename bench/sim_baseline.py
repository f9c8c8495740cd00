"""Baseline: 16 independent per-competence CATs built with catsim (max-information selection,
catsim's numerical-search MLE with Dodd's heuristic), items split evenly across competences.

catsim works on a standard scale bounded to [-6, 6]; item difficulties are shifted by ``center`` so
the level scale fits inside its bounds (MLE is shift-equivariant, so this changes nothing else).
"""

from __future__ import annotations

import numpy as np
from catsim.estimation import NumericalSearchEstimator
from catsim.item_bank import ItemBank
from catsim.selection import MaxInfoSelector

from bench.synthetic import answer
from bridge.assessment.pool import ItemPool


def run_baseline(
    pool: ItemPool,
    thetas: np.ndarray,
    per_comp: int,
    start: float,
    rng: np.random.Generator,
    center: float = 3.0,
) -> np.ndarray:
    """Estimates (agents, per_comp + 1, K): [:, n, k] is the estimate after n items in competence k."""
    n_agents, k = thetas.shape
    banks, members = [], []
    for c in range(k):
        idx = np.flatnonzero(pool.comp == c)
        params = np.column_stack([pool.a[idx], pool.b[idx] - center, np.zeros(idx.size), np.ones(idx.size)])
        banks.append(ItemBank(params))
        members.append(idx)
    selector = MaxInfoSelector()
    estimator = NumericalSearchEstimator()
    out = np.empty((n_agents, per_comp + 1, k))
    out[:, 0, :] = start
    for agent in range(n_agents):
        for c in range(k):
            administered: list[int] = []
            responses: list[bool] = []
            est = start - center
            for n in range(1, per_comp + 1):
                local = selector.select(item_bank=banks[c], administered_items=administered, est_theta=est)
                if local is None:
                    out[agent, n, c] = est + center
                    continue
                administered.append(int(local))
                responses.append(answer(pool, int(members[c][local]), thetas[agent], rng))
                est = float(
                    estimator.estimate(
                        item_bank=banks[c],
                        administered_items=administered,
                        response_vector=responses,
                        est_theta=est,
                    )
                )
                out[agent, n, c] = est + center
    return out


def estimates_at_length(per_comp_est: np.ndarray, length: int) -> np.ndarray:
    """Estimates when ``length`` items are split evenly (round robin) across the K competences."""
    k = per_comp_est.shape[2]
    counts = np.full(k, length // k) + (np.arange(k) < length % k)
    counts = np.minimum(counts, per_comp_est.shape[1] - 1)
    return per_comp_est[:, counts, np.arange(k)]
