import pytest

from bridge.assessment.scoring import estimate, level_of, pix_of


@pytest.mark.parametrize(
    ("theta", "cap", "level", "pix"),
    [(-0.4, 5, 0, 0), (0.0, 5, 0, 0), (0.99, 5, 0, 7), (2.5, 5, 2, 20), (4.99, 5, 4, 39), (5.2, 5, 5, 40),
     (7.9, 5, 5, 40), (7.9, 7, 7, 56), (9.5, 8, 8, 64)],
)  # fmt: skip
def test_level_and_pix(theta: float, cap: int, level: int, pix: int) -> None:
    assert level_of(theta, cap) == level
    assert pix_of(theta, cap) == pix
    assert pix // 8 == level


def test_confidence_band_is_clamped() -> None:
    est = estimate("1.1", theta=2.4, se=0.7, n_answered=3, cap=5)
    assert (est.level, est.band_low, est.band_high, est.pix) == (2, 1, 3, 19)
    low = estimate("1.1", theta=0.3, se=0.8, n_answered=1, cap=5)
    assert (low.band_low, low.band_high) == (0, 1)
    high = estimate("1.1", theta=5.6, se=0.5, n_answered=4, cap=5)
    assert (high.level, high.band_low, high.band_high, high.pix) == (5, 5, 5, 40)
