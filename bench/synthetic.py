"""Synthetic item banks and agent populations for the simulations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bridge.assessment.irt import Grid
from bridge.assessment.pool import ItemPool


@dataclass(frozen=True)
class Population:
    """True abilities: g ~ N(mean, s_g), theta_k = g + N(0, s_w); corr = s_g^2 / (s_g^2 + s_w^2)."""

    mean: float = 2.2
    s_g: float = 1.0
    s_w: float = 0.82

    def sample(self, rng: np.random.Generator, n_agents: int, n_comp: int) -> np.ndarray:
        g = rng.normal(self.mean, self.s_g, size=(n_agents, 1))
        return g + rng.normal(0.0, self.s_w, size=(n_agents, n_comp))


def synthetic_pool(
    grid: Grid, competences: tuple[str, ...], rng: np.random.Generator, n_items: int = 512
) -> ItemPool:
    """Items split evenly across competences; median a = 1.2; b mostly on levels 1-4 (theta 1..5)."""
    k = len(competences)
    comp = np.arange(n_items) % k
    a = np.clip(rng.lognormal(np.log(1.2), 0.3, n_items), 0.3, 3.5)
    b = np.clip(rng.normal(2.8, 1.3, n_items), -0.5, 8.5)
    ids = [f"{competences[c]}-S{i:04d}" for i, c in enumerate(comp)]
    return ItemPool.from_arrays(grid, competences, ids, comp, a, b)


def answer(pool: ItemPool, item: int, theta: np.ndarray, rng: np.random.Generator) -> bool:
    """Simulated answer following the 2PL model exactly."""
    p = 1.0 / (1.0 + np.exp(-pool.a[item] * (theta[pool.comp[item]] - pool.b[item])))
    return bool(rng.random() < p)


def true_levels(theta: np.ndarray, cap: int) -> np.ndarray:
    return np.asarray(np.clip(np.floor(theta), 0, cap), dtype=np.int64)
