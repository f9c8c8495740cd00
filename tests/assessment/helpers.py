"""Synthetic fixtures for the assessment tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bridge.assessment.engine import Engine, EngineConfig
from bridge.assessment.pool import ItemPool
from config.framework import load_framework

CODES = load_framework().competence_codes


def make_pool(
    per_comp: int = 12, seed: int = 0, config: EngineConfig | None = None, images_every: int = 0
) -> ItemPool:
    rng = np.random.default_rng(seed)
    n = per_comp * len(CODES)
    comp = np.arange(n) % len(CODES)
    a = rng.uniform(0.8, 2.0, n)
    b = rng.uniform(0.0, 6.0, n)
    images = (np.arange(n) % images_every == 0) if images_every else None
    ids = [f"{CODES[c]}-T{i:03d}" for i, c in enumerate(comp)]
    return ItemPool.from_arrays(Engine.grid_for(config), CODES, ids, comp, a, b, needs_images=images)


def simulate(engine: Engine, theta: np.ndarray, seed: int, **kwargs: Any) -> list[tuple[str, bool]]:
    """Run an assessment to its end with answers following the model."""
    rng = np.random.default_rng(seed)
    pool = engine.pool
    answers: list[tuple[str, bool]] = []
    while (item_id := engine.next_item(answers, seed=seed, **kwargs)) is not None:
        i = pool.index[item_id]
        p = 1 / (1 + np.exp(-pool.a[i] * (theta[pool.comp[i]] - pool.b[i])))
        answers.append((item_id, bool(rng.random() < p)))
    return answers


def item_dict(item_id: str = "1.1-L1-01", kind: str = "single_choice", **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": item_id,
        "kind": kind,
        "level": 1,
        "irt": {"a": 1.3, "b": 1.1},
        "stem": {"fr": "Question ?", "en": "Question?"},
        "options": [
            {"id": "a", "fr": "A", "en": "A"},
            {"id": "b", "fr": "B"},
            {"id": "c", "fr": "C"},
        ],
        "answer": "b",
        "feedback": {"fr": "Parce que."},
        "accessibility": {"needs_images": False, "needs_sound": False},
        "active": True,
    }
    if kind == "multiple_choice":
        item["answer"] = ["a", "c"]
    elif kind == "ordering":
        item["answer"] = ["c", "a", "b"]
    elif kind == "short_answer":
        del item["options"]
        item["answer"] = {"accepted": ["Ctrl + C", "copier"], "case_sensitive": False}
    item.update(overrides)
    return item


def write_bank(directory: Path, files: dict[str, Any]) -> Path:
    """files: name -> content (dict dumped as YAML, or raw text)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
        (directory / name).write_text(text, encoding="utf-8")
    return directory
