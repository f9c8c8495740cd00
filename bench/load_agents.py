"""End-to-end load: N concurrent agents for D seconds against gunicorn (2 workers) on PostgreSQL.

Each agent is a thread with its own HTTP session (its own cookies, as a browser): OIDC login, launch,
start the self-assessment, answer every question (the first option, or "Je ne sais pas" one time in
three), then accept its first recommendation; then it starts again as a new agent until the time is up.
Between two steps it "reads" for --think seconds (uniform 0.5x-1.5x), as a person does. The test platform
(tests/fakes) runs in this process and signs the id_tokens. At the end: errors per step, p50/p95/p99 per
step, and the answers recorded in the database compared with the answers the agents had accepted.

    python -m bench.load_agents --db postgresql://postgres@127.0.0.1:5432/load_bench --agents 200 --seconds 60

Never point --db at a real database: it is dropped and recreated. Results: bench/results/load.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from sqlalchemy import func, select

from bench.launch_bench import RESULTS, Target, add_learners, serve, setup_tool_database
from bridge.assessment.models import AssessmentResponse
from bridge.assessment.store import DEFAULT_BANK_DIR, import_directory
from bridge.catalog.demo import seed_catalogue
from bridge.recommendations.models import Recommendation
from config.database import Database
from config.framework import load_framework
from config.settings import load_settings
from tests.fakes.lti_platform import TestPlatform, parse_form

STEPS = ("login", "launch", "start", "answer", "accept")


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: list[str] = []
        self.answers = 0
        self.journeys = 0

    def record(self, step: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.times[step].append(seconds)
            if not ok:
                self.errors[step] += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{step}: {detail[:200]}")


def _form_with(html: str, marker: str) -> tuple[str, dict[str, str]] | None:
    """The action and fields of the first form whose markup contains ``marker``."""
    for match in re.finditer(r"<form\b.*?</form>", html, re.S):
        if marker in match.group(0):
            return parse_form(match.group(0))
    return None


class Agent:
    def __init__(self, tool: str, platform: TestPlatform, stats: Stats, think: float) -> None:
        self.tool, self.platform, self.stats, self.think = tool, platform, stats, think
        self.http = requests.Session()

    def pause(self) -> None:
        time.sleep(random.uniform(0.5, 1.5) * self.think)

    def timed(
        self, step: str, method: str, url: str, ok_codes: tuple[int, ...], **kwargs: Any
    ) -> requests.Response:
        started = time.perf_counter()
        try:
            response = self.http.request(method, url, timeout=120, **kwargs)
        except requests.RequestException as exc:
            self.stats.record(step, time.perf_counter() - started, False, repr(exc))
            raise
        ok = response.status_code in ok_codes
        self.stats.record(step, time.perf_counter() - started, ok, f"HTTP {response.status_code} {url}")
        if not ok:
            raise RuntimeError(step)
        return response

    def journey(self, sub: str, deadline: float) -> None:
        self.http.cookies.clear()
        login = self.timed(
            "login",
            "POST",
            self.platform.tool_login_url,
            (302,),
            data=self.platform.login_initiation(sub),
            allow_redirects=False,
        )
        query = parse_qs(urlsplit(login.headers["Location"]).query)
        token = self.platform.id_token(sub, query["nonce"][0])
        launch = self.timed(
            "launch",
            "POST",
            self.platform.tool_launch_url,
            (303,),
            data={"id_token": token, "state": query["state"][0]},
            allow_redirects=False,
        )
        t = parse_qs(urlsplit(launch.headers["Location"]).query)["t"][0]
        self.pause()
        page = self.timed(
            "start", "POST", f"{self.tool}/parcours/evaluation/commencer", (200,), data={"t": t}
        )
        while "/parcours/evaluation/question" in page.url and time.monotonic() < deadline:
            found = _form_with(page.text, 'name="item"')
            if found is None:
                raise RuntimeError("no question form")
            action, fields = found
            fields.pop("text", None)
            if random.random() < 1 / 3:
                fields["action"] = "dont_know"
            else:
                fields["action"] = "answer"
                positions = re.findall(r'name="(position-[^"]+)"', page.text)
                for index, name in enumerate(positions):
                    fields[name] = str(index + 1)
                if 'name="text"' in page.text:
                    fields["text"] = "réponse"
            self.pause()
            page = self.timed("answer", "POST", urljoin(page.url, action or page.url), (200,), data=fields)
            with self.stats.lock:
                self.stats.answers += 1
        if "/parcours/resultats/" not in page.url:
            return  # time is up in the middle of the sitting
        self.pause()
        listing = self.http.get(f"{self.tool}/parcours/recommandations", params={"t": t}, timeout=120)
        accept = _form_with(listing.text, "/accepter")
        if accept is not None:
            action, fields = accept
            self.timed("accept", "POST", urljoin(listing.url, action), (200,), data=fields)
        with self.stats.lock:
            self.stats.journeys += 1


def agent_loop(agent: Agent, subs: list[str], deadline: float) -> None:
    for sub in subs:
        if time.monotonic() >= deadline:
            return
        try:
            agent.journey(sub, deadline)
        except (RuntimeError, requests.RequestException):
            time.sleep(1)


def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"n": len(values)}
    cuts = statistics.quantiles(values, n=100)
    return {
        "n": len(values),
        "p50_ms": round(1000 * cuts[49]),
        "p95_ms": round(1000 * cuts[94]),
        "p99_ms": round(1000 * cuts[98]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/load_bench")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between two steps of an agent")
    args = parser.parse_args()
    if urlsplit(args.db).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("the benchmark only runs against 127.0.0.1")
    workdir = Path(tempfile.mkdtemp(prefix="load-bench-"))
    (workdir / "prometheus").mkdir()
    config = workdir / "gunicorn.conf.py"
    config.touch()
    env = {
        "BRIDGE_ENV": "test",
        "BRIDGE_DATABASE_URL": args.db,
        "BRIDGE_INSTANCE_PATH": str(workdir / "instance"),
        "BRIDGE_SECRET_KEY": "bench-secret-key-" + "x" * 32,
        "BRIDGE_ENCRYPTION_KEY": "a" * 43 + "=",
        "BRIDGE_LOG_LEVEL": "WARNING",
        "BRIDGE_RATELIMIT_LTI": "1000000/minute",  # every agent comes from 127.0.0.1 here
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus"),
    }
    target = Target("pacnum-bridge", "wsgi:app", env, config=config)
    target.env["BRIDGE_BASE_URL"] = target.url
    stats = Stats()
    with TestPlatform(target.url) as platform:
        add_learners(platform)
        setup_tool_database(args.db, [platform], 0)
        settings = load_settings(
            **{k.removeprefix("BRIDGE_").lower(): v for k, v in env.items() if k.startswith("BRIDGE_")}
        )
        database = Database(args.db)
        with database.session_scope() as session:
            import_directory(session, DEFAULT_BANK_DIR, load_framework())
            seed_catalogue(session, settings)
        with serve(target):
            deadline = time.monotonic() + args.seconds
            subs = [str(10_000 + n) for n in range(2000)]
            threads = []
            for n in range(args.agents):
                agent = Agent(target.url, platform, stats, args.think)
                mine = subs[n :: args.agents]
                threads.append(threading.Thread(target=agent_loop, args=(agent, mine, deadline), daemon=True))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=args.seconds + 180)
        with database.session_scope() as session:
            stored = int(session.scalar(select(func.count()).select_from(AssessmentResponse)) or 0)
            accepted = int(
                session.scalar(
                    select(func.count())
                    .select_from(Recommendation)
                    .where(Recommendation.status != "proposed")
                )
                or 0
            )
        database.dispose()
    report = {
        "agents": args.agents,
        "seconds": args.seconds,
        "think_seconds": args.think,
        "journeys_completed": stats.journeys,
        "errors": dict(stats.errors),
        "error_examples": stats.examples,
        "answers_sent_and_acknowledged": stats.answers,
        "answers_in_database": stored,
        "recommendations_accepted_in_database": accepted,
        "accept_requests_ok": len(stats.times["accept"]) - stats.errors.get("accept", 0),
        "steps": {step: percentiles(stats.times[step]) for step in STEPS},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    if stats.errors or stored != stats.answers:
        sys.exit(1)


if __name__ == "__main__":
    main()
