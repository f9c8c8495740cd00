"""Item pool: the bank as precomputed numpy arrays for the engine."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bridge.assessment.bank import Bank
from bridge.assessment.irt import FloatArray, Grid, p_correct

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ItemPool:
    """Active items of a bank, indexed 0..N-1, with per-item grids precomputed once."""

    competences: tuple[str, ...]
    ids: tuple[str, ...]
    index: dict[str, int]
    comp: IntArray  # (N,) competence index
    a: FloatArray
    b: FloatArray
    needs_images: BoolArray
    needs_sound: BoolArray
    log_p: FloatArray  # (N, T) log P(correct) on the theta grid
    log_q: FloatArray  # (N, T) log P(wrong)
    info: FloatArray  # (N, T) Fisher information a^2 p (1 - p)

    @classmethod
    def from_arrays(
        cls,
        grid: Grid,
        competences: Sequence[str],
        ids: Sequence[str],
        comp: Sequence[int] | IntArray,
        a: Sequence[float] | FloatArray,
        b: Sequence[float] | FloatArray,
        needs_images: Sequence[bool] | BoolArray | None = None,
        needs_sound: Sequence[bool] | BoolArray | None = None,
    ) -> ItemPool:
        n = len(ids)
        a_arr = np.asarray(a, dtype=np.float64)
        b_arr = np.asarray(b, dtype=np.float64)
        p = np.clip(p_correct(a_arr, b_arr, grid.theta), 1e-12, 1 - 1e-12)
        images = np.zeros(n, bool) if needs_images is None else np.asarray(needs_images, bool)
        sound = np.zeros(n, bool) if needs_sound is None else np.asarray(needs_sound, bool)
        index = {item_id: i for i, item_id in enumerate(ids)}
        if len(index) != n:
            raise ValueError("ItemPool: duplicate item ids")
        return cls(
            competences=tuple(competences),
            ids=tuple(ids),
            index=index,
            comp=np.asarray(comp, dtype=np.int64),
            a=a_arr,
            b=b_arr,
            needs_images=images,
            needs_sound=sound,
            log_p=np.log(p),
            log_q=np.log1p(-p),
            info=a_arr[:, None] ** 2 * p * (1 - p),
        )

    @classmethod
    def from_bank(cls, grid: Grid, bank: Bank, competences: Iterable[str]) -> ItemPool:
        """Active items of the bank whose competence is in ``competences`` (framework order)."""
        codes = tuple(competences)
        position = {code: k for k, code in enumerate(codes)}
        items = [it for it in bank.items if it.active and it.competence in position]
        return cls.from_arrays(
            grid,
            codes,
            ids=[it.id for it in items],
            comp=[position[it.competence] for it in items],
            a=[it.irt.a for it in items],
            b=[it.irt.b for it in items],
            needs_images=[it.accessibility.needs_images for it in items],
            needs_sound=[it.accessibility.needs_sound for it in items],
        )

    def __len__(self) -> int:
        return len(self.ids)
