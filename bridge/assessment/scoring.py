"""From posterior estimates to levels, pix and confidence bands."""

from __future__ import annotations

import math
from dataclasses import dataclass

PIX_PER_LEVEL = 8


@dataclass(frozen=True)
class CompetenceEstimate:
    code: str
    theta: float
    se: float
    level: int
    pix: int
    band_low: int
    band_high: int
    n_answered: int


def level_of(theta: float, cap: int) -> int:
    """level = floor(theta), clamped to 0..cap."""
    return min(max(math.floor(theta), 0), cap)


def pix_of(theta: float, cap: int) -> int:
    """8 pix per level: floor(theta * 8), clamped to 0..8 * cap (so level == pix // 8)."""
    return min(max(math.floor(theta * PIX_PER_LEVEL), 0), PIX_PER_LEVEL * cap)


def estimate(code: str, theta: float, se: float, n_answered: int, cap: int) -> CompetenceEstimate:
    return CompetenceEstimate(
        code=code,
        theta=theta,
        se=se,
        level=level_of(theta, cap),
        pix=pix_of(theta, cap),
        band_low=level_of(theta - se, cap),
        band_high=level_of(theta + se, cap),
        n_answered=n_answered,
    )
