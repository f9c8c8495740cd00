"""The adaptive engine: a pure, deterministic function of (pool, answers, excluded ids, seed).

The web app stores only the answer list ``[(item_id, correct), ...]``, the excluded ids and the seed;
every request recomputes the posterior from the answers (about 0.2 ms for 40 answers) and asks
``next_item``. The random choice at step n uses ``default_rng([seed, n])``, so replaying a request gives
the same item.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from bridge.assessment import selection
from bridge.assessment.irt import FloatArray, Grid, Posterior, PriorConfig, posterior
from bridge.assessment.pool import BoolArray, ItemPool
from bridge.assessment.scoring import CompetenceEstimate, estimate
from bridge.assessment.selection import SelectionConfig
from config.framework import Framework, digcomp_view

logger = logging.getLogger(__name__)


class Answer(NamedTuple):
    item_id: str
    correct: bool


@dataclass(frozen=True)
class EngineConfig:
    prior: PriorConfig = field(default_factory=PriorConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    level_cap: int = 5


@dataclass(frozen=True)
class Accessibility:
    """What the agent cannot use: items needing it are never asked."""

    no_images: bool = False
    no_sound: bool = False


@dataclass(frozen=True)
class AssessmentResult:
    competences: dict[str, CompetenceEstimate]
    digcomp: dict[str, int]
    n_answered: int


@dataclass(frozen=True)
class StepState:
    candidates: BoolArray
    open_per_comp: BoolArray
    answered_per_comp: np.ndarray
    status: selection.Status


class UnknownItemError(KeyError):
    """An answer refers to an item that is not in the pool."""


class Engine:
    def __init__(self, pool: ItemPool, config: EngineConfig | None = None) -> None:
        self.config = config if config is not None else EngineConfig()
        self.grid = Grid.build(self.config.prior)
        self.pool = pool

    @classmethod
    def grid_for(cls, config: EngineConfig | None = None) -> Grid:
        """The grid an ItemPool must be built with for this config."""
        return Grid.build((config or EngineConfig()).prior)

    def _indices(self, answers: Sequence[tuple[str, bool]]) -> tuple[np.ndarray, np.ndarray]:
        try:
            idx = np.fromiter((self.pool.index[a[0]] for a in answers), dtype=np.int64, count=len(answers))
        except KeyError as exc:
            raise UnknownItemError(f"answer to unknown item {exc.args[0]!r}") from exc
        correct = np.fromiter((bool(a[1]) for a in answers), dtype=bool, count=len(answers))
        return idx, correct

    def loglik(self, idx: np.ndarray, correct: np.ndarray) -> FloatArray:
        """Per-competence log-likelihood on the theta grid, (K, T)."""
        k = len(self.pool.competences)
        rows = np.where(correct[:, None], self.pool.log_p[idx], self.pool.log_q[idx])
        out = np.zeros((k, self.grid.theta.size))
        np.add.at(out, self.pool.comp[idx], rows)
        return out

    def posterior_of(self, idx: np.ndarray, correct: np.ndarray) -> Posterior:
        return posterior(self.grid, self.loglik(idx, correct))

    def allowed_mask(self, access: Accessibility | None) -> BoolArray:
        allowed = np.ones(len(self.pool), dtype=bool)
        if access is not None:
            if access.no_images:
                allowed &= ~self.pool.needs_images
            if access.no_sound:
                allowed &= ~self.pool.needs_sound
        return allowed

    def step_state(
        self, idx: np.ndarray, correct: np.ndarray, post: Posterior, excluded: BoolArray, allowed: BoolArray
    ) -> StepState:
        """Candidates and per-competence status after the answers (idx, correct)."""
        cfg = self.config.selection
        k = len(self.pool.competences)
        answered = np.zeros(len(self.pool), dtype=bool)
        answered[idx] = True
        candidates = selection.candidate_mask(self.pool, answered, excluded, allowed)
        answered_per_comp = np.bincount(self.pool.comp[idx], minlength=k)
        wrong_per_comp = np.bincount(self.pool.comp[idx[~correct]], minlength=k)
        prior = self.config.prior
        return StepState(
            candidates=candidates,
            open_per_comp=np.bincount(self.pool.comp[candidates], minlength=k) > 0,
            answered_per_comp=answered_per_comp,
            status=selection.status(cfg, post, answered_per_comp, wrong_per_comp, prior.mu0, prior.total_sd),
        )

    def select_index(
        self,
        idx: np.ndarray,
        correct: np.ndarray,
        post: Posterior,
        seed: int,
        excluded: BoolArray,
        allowed: BoolArray,
    ) -> int | None:
        """Index of the next item, or None when the assessment should stop."""
        cfg = self.config.selection
        st = self.step_state(idx, correct, post, excluded, allowed)
        if selection.should_stop(cfg, int(idx.size), st.status, st.open_per_comp):
            return None
        rng = np.random.default_rng([seed, int(idx.size)])
        return selection.select(self.pool, post, st.candidates, st.answered_per_comp, st.status, cfg, rng)

    def next_item(
        self,
        answers: Sequence[tuple[str, bool]],
        *,
        seed: int,
        excluded_ids: Collection[str] = (),
        accessibility: Accessibility | None = None,
    ) -> str | None:
        """The id of the next item to ask, or None when the assessment is over."""
        idx, correct = self._indices(answers)
        excluded = np.zeros(len(self.pool), dtype=bool)
        known = [self.pool.index[i] for i in excluded_ids if i in self.pool.index]
        excluded[known] = True
        post = self.posterior_of(idx, correct)
        chosen = self.select_index(idx, correct, post, seed, excluded, self.allowed_mask(accessibility))
        return None if chosen is None else self.pool.ids[chosen]

    def result(
        self, answers: Sequence[tuple[str, bool]], framework: Framework | None = None
    ) -> AssessmentResult:
        """Per-competence estimates (theta, SE, level, pix, band) and the DigComp view."""
        idx, correct = self._indices(answers)
        post = self.posterior_of(idx, correct)
        counts = np.bincount(self.pool.comp[idx], minlength=len(self.pool.competences))
        cap = self.config.level_cap
        comps = {
            code: estimate(code, float(post.mean[k]), float(post.sd[k]), int(counts[k]), cap)
            for k, code in enumerate(self.pool.competences)
        }
        levels = {code: est.level for code, est in comps.items()}
        view = digcomp_view(levels, framework) if framework is not None else digcomp_view(levels)
        return AssessmentResult(competences=comps, digcomp=view, n_answered=int(idx.size))
