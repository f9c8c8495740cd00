"""Simulation benchmark: our engine vs 16 independent catsim CATs on the same agents and bank.

    python -m bench.assessment_sim --agents 500 --lengths 16,24,32,40,48,64 --seed 1 [--bank DIR]

Each agent answers by the 2PL model. The engine runs once per agent to the longest length with its
normal selection rules (stopping disabled), so the estimate after n answers is exactly what a
fixed-length test of n items would report; its natural stopping point (SE target, min/max length) is read
off the same trajectory. The baseline runs per competence; a length L is split evenly across competences.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.sim_baseline import estimates_at_length, run_baseline
from bench.synthetic import Population, answer, synthetic_pool, true_levels
from bridge.assessment.bank import load_bank
from bridge.assessment.engine import Engine, EngineConfig
from bridge.assessment.pool import ItemPool
from config.framework import load_framework

RESULTS = Path(__file__).parent / "results"


def run_engine(
    engine: Engine, thetas: np.ndarray, max_len: int, seed: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per agent and step n (0..max_len): posterior means (agents, n, K), whether the natural stopping
    rule (SE target and strong/ceiling rules, ignoring lengths) is met (agents, n); first items."""
    pool = engine.pool
    n_agents, k = thetas.shape
    means = np.empty((n_agents, max_len + 1, k))
    done = np.zeros((n_agents, max_len + 1), dtype=bool)
    first = np.full(n_agents, -1)
    excluded = np.zeros(len(pool), dtype=bool)
    allowed = np.ones(len(pool), dtype=bool)
    for agent in range(n_agents):
        idx = np.empty(0, dtype=np.int64)
        correct = np.empty(0, dtype=bool)
        for n in range(max_len + 1):
            post = engine.posterior_of(idx, correct)
            means[agent, n] = post.mean
            state = engine.step_state(idx, correct, post, excluded, allowed)
            done[agent, n] = not (state.status.pending & state.open_per_comp).any()
            if n == max_len:
                break
            item = engine.select_index(idx, correct, post, seed * 1_000_003 + agent, excluded, allowed)
            if item is None:
                means[agent, n + 1 :], done[agent, n + 1 :] = post.mean, done[agent, n]
                break
            if n == 0:
                first[agent] = item
            idx = np.append(idx, item)
            correct = np.append(correct, answer(pool, item, thetas[agent], rng))
        if (agent + 1) % 50 == 0:
            sys.stderr.write(f"\rengine: {agent + 1}/{n_agents} agents")
    sys.stderr.write("\n")
    return means, done, first


def accuracy(est: np.ndarray, truth: np.ndarray, cap: int) -> tuple[float, float]:
    diff = np.abs(true_levels(est, cap) - truth)
    return float((diff == 0).mean()), float((diff <= 1).mean())


def items_to_reach(curve: np.ndarray, target: float) -> int | None:
    hits = np.flatnonzero(curve >= target - 1e-12)
    return int(hits[0]) if hits.size else None


def natural_stop(done: np.ndarray, cfg: EngineConfig) -> np.ndarray:
    """First n in [min_length, max_length] where the stopping rule is met (else max_length)."""
    sel = cfg.selection
    done = done.copy()
    done[:, : sel.min_length] = False
    done[:, sel.max_length :] = True
    return np.asarray(np.argmax(done, axis=1), dtype=np.int64)


def build_pool(args: argparse.Namespace, cfg: EngineConfig, rng: np.random.Generator) -> ItemPool:
    framework = load_framework()
    grid = Engine.grid_for(cfg)
    if args.bank:
        return ItemPool.from_bank(grid, load_bank(args.bank, framework), framework.competence_codes)
    return synthetic_pool(grid, framework.competence_codes, rng, args.items)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--lengths", default="16,24,32,40,48,64")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--items", type=int, default=512)
    parser.add_argument("--bank", help="item bank directory (default: synthetic bank)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--set", action="append", default=[], help="selection setting, e.g. se_target=0.6")
    parser.add_argument("--pop-mean", type=float, default=Population.mean, help="true mean ability")
    parser.add_argument("--pop-sg", type=float, default=Population.s_g, help="SD of general ability")
    parser.add_argument("--pop-sw", type=float, default=Population.s_w, help="SD within agent")
    args = parser.parse_args(argv)
    lengths = [int(x) for x in args.lengths.split(",")]
    max_len = max(*lengths, 64)
    cfg = EngineConfig()
    overrides = dict(kv.split("=", 1) for kv in args.set)
    typed = {k: type(getattr(cfg.selection, k))(v) for k, v in overrides.items()}
    cfg = dataclasses.replace(cfg, selection=dataclasses.replace(cfg.selection, **typed))
    cap = cfg.level_cap
    rng = np.random.default_rng(args.seed)
    pool = build_pool(args, cfg, rng)
    k = len(pool.competences)
    thetas = Population(args.pop_mean, args.pop_sg, args.pop_sw).sample(rng, args.agents, k)
    truth = true_levels(thetas, cap)
    engine = Engine(
        pool,
        dataclasses.replace(
            cfg, selection=dataclasses.replace(cfg.selection, min_length=max_len, max_length=max_len)
        ),
    )
    t0 = time.perf_counter()
    means, done, first = run_engine(engine, thetas, max_len, args.seed, rng)
    t_engine = time.perf_counter() - t0
    curve = np.array([accuracy(means[:, n], truth, cap) for n in range(max_len + 1)])
    report: dict[str, Any] = {
        "agents": args.agents,
        "seed": args.seed,
        "items": len(pool),
        "bank": args.bank or "synthetic",
        "population": [args.pop_mean, args.pop_sg, args.pop_sw],
        "engine_seconds": round(t_engine, 1),
        "config": dataclasses.asdict(cfg),
        "lengths": {},
    }
    base_curve: dict[int, tuple[float, float]] = {}
    if not args.no_baseline:
        t0 = time.perf_counter()
        per_comp = run_baseline(pool, thetas, -(-max_len // k), cfg.prior.mu0, rng)
        report["baseline_seconds"] = round(time.perf_counter() - t0, 1)
        base_curve = {n: accuracy(estimates_at_length(per_comp, n), truth, cap) for n in lengths}
    guess = accuracy(np.full_like(thetas, cfg.prior.mu0), truth, cap)
    print(
        f"\n{'length':>6} | {'engine exact':>12} {'within1':>8} | {'catsim exact':>12} {'within1':>8} |"
        f" {'ratio exact':>11} {'within1':>8}"
    )
    for n in lengths:
        e_ex, e_w1 = curve[n]
        row: dict[str, Any] = {"engine_exact": e_ex, "engine_within1": e_w1}
        line = f"{n:>6} | {e_ex:>12.3f} {e_w1:>8.3f} |"
        if n in base_curve:
            b_ex, b_w1 = base_curve[n]
            row |= {"baseline_exact": b_ex, "baseline_within1": b_w1}
            line += f" {b_ex:>12.3f} {b_w1:>8.3f} | {e_ex / b_ex:>11.2f} {e_w1 / b_w1:>8.2f}"
        report["lengths"][n] = row
        print(line)
    print(f"guessing level {int(cfg.prior.mu0)} for all: exact {guess[0]:.3f}, within one {guess[1]:.3f}")
    report["needed"] = {}
    for n in (32, 48, 64):
        if n not in base_curve:
            continue
        need_ex = items_to_reach(curve[:, 0], base_curve[n][0])
        need_w1 = items_to_reach(curve[:, 1], base_curve[n][1])
        report["needed"][n] = {"exact": need_ex, "within1": need_w1}
        print(
            f"baseline accuracy at {n} items reached by the engine at: exact {need_ex}, within one {need_w1}"
            + (f" ({1 - need_w1 / n:.0%} fewer)" if need_w1 else "")
        )
    stop = natural_stop(done, cfg)
    at_stop = means[np.arange(args.agents), stop]
    nat_ex, nat_w1 = accuracy(at_stop, truth, cap)
    strong = truth >= 4
    strong_w1 = float((np.abs(true_levels(at_stop, cap) - truth) <= 1)[strong].mean())
    strong_bias = float((true_levels(at_stop, cap) - truth)[strong].mean())
    w95 = items_to_reach(curve[:, 1], 0.95)
    counts = np.bincount(first[first >= 0], minlength=len(pool))
    exposure = float(counts.max() / max(1, (first >= 0).sum()))
    report |= {
        "natural_stop": {
            "mean_length": float(stop.mean()),
            "p90_length": float(np.percentile(stop, 90)),
            "exact": nat_ex,
            "within1": nat_w1,
        },
        "within1_95_at": w95,
        "first_item_max_share": exposure,
    }
    print(
        f"natural stop (SE <= {cfg.selection.se_target}, {cfg.selection.min_length}-"
        f"{cfg.selection.max_length} items): mean length {stop.mean():.1f}"
        f" (p90 {np.percentile(stop, 90):.0f}),"
        f" exact {nat_ex:.3f}, within one {nat_w1:.3f}"
    )
    report["natural_stop"] |= {"strong_within1": strong_w1, "strong_level_bias": strong_bias}
    print(
        f"true level >= 4 ({strong.mean():.0%} of cases) at natural stop: within one {strong_w1:.3f}, "
        f"mean level error {strong_bias:+.2f}"
    )
    print(f"95% within one level at {w95} items; first-item max share {exposure:.3f}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"assessment_sim_seed{args.seed}_n{args.agents}_mu{args.pop_mean}_sg{args.pop_sg}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"written {out}")
    return report


if __name__ == "__main__":
    main()
