"""Next-item selection latency on a 1,000-item bank with about 40 answers.

    python -m bench.item_selection [--items 1000 --answers 40 --iterations 2000]

Times what a web request does: posterior from the answer list, then the next item (ids in, id out).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.synthetic import Population, answer, synthetic_pool
from bridge.assessment.engine import Engine, EngineConfig
from config.framework import load_framework


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--answers", type=int, default=40)
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    cfg = EngineConfig()
    codes = load_framework().competence_codes
    pool = synthetic_pool(Engine.grid_for(cfg), codes, rng, args.items)
    engine = Engine(pool, cfg)
    thetas = Population().sample(rng, args.iterations, len(codes))
    excluded = [pool.ids[i] for i in rng.choice(len(pool), 100, replace=False)]
    times = []
    for it in range(args.iterations):
        # Each iteration replays a different agent's answer list of the requested length.
        picks = rng.choice(len(pool), args.answers, replace=False)
        answers = [(pool.ids[i], answer(pool, int(i), thetas[it], rng)) for i in picks]
        start = time.perf_counter()
        engine.next_item(answers, seed=it, excluded_ids=excluded)
        times.append(time.perf_counter() - start)
    ms = np.array(times) * 1000
    result = {
        "p50_ms": float(np.percentile(ms, 50)),
        "p95_ms": float(np.percentile(ms, 95)),
        "max_ms": float(ms.max()),
    }
    print(
        f"next-item selection, {len(pool)} items, {args.answers} answers, {args.iterations} iterations: "
        f"p50 {result['p50_ms']:.2f} ms, p95 {result['p95_ms']:.2f} ms, max {result['max_ms']:.2f} ms"
    )
    return result


if __name__ == "__main__":
    main()
