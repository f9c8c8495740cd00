"""Agents racing for the last seats of a session, each in its own thread, session and transaction."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select

from bridge.catalog.models import Training
from bridge.recommendations import decisions
from bridge.recommendations.models import Recommendation
from config.database import Database
from tests.support import domain

NOW = datetime(2027, 1, 10, tzinfo=UTC)
CAPACITY = 4
AGENTS = 12


def _seed(database: Database) -> tuple[int, list[tuple[int, int]]]:
    with database.session_scope() as session:
        training = domain.training(
            session, "LYON", {"4.1": (0, 2, 3)}, modality="in_person", capacity=CAPACITY
        )
        pairs = []
        for _ in range(AGENTS):
            agent = domain.agent(session)
            rec = Recommendation(agent_id=agent.id, training_id=training.id, reason="r", status="proposed")
            session.add(rec)
            session.flush()
            pairs.append((rec.id, agent.id))
        return training.id, pairs


def _race(
    database: Database, app: Flask, work: list[tuple[int, int]], repeat: int = 1
) -> list[BaseException]:
    barrier = threading.Barrier(len(work) * repeat)
    errors: list[BaseException] = []

    def run(rec_id: int, agent_id: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                with database.session_scope() as session:
                    decisions.accept(session, rec_id, agent_id, now=NOW)
            except BaseException as exc:  # collected and reported by the test
                errors.append(exc)

    threads = [threading.Thread(target=run, args=pair) for pair in work for _ in range(repeat)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_accepts_take_exactly_the_capacity(app: Flask, database: Database) -> None:
    training_id, pairs = _seed(database)

    errors = _race(database, app, pairs)

    assert errors == []
    with database.session_scope() as session:
        training = session.get_one(Training, training_id)
        recs = list(session.scalars(select(Recommendation).where(Recommendation.training_id == training_id)))
        assert training.seats_taken == CAPACITY
        assert sum(r.status == "enrolled" for r in recs) == CAPACITY
        waiting = sorted(r.waitlist_position for r in recs if r.status == "waitlisted")
        assert waiting == list(range(1, AGENTS - CAPACITY + 1))  # one place each, in order, no gap


def test_the_same_agent_accepting_in_parallel_takes_one_seat(app: Flask, database: Database) -> None:
    training_id, pairs = _seed(database)

    errors = _race(database, app, pairs[:1], repeat=6)

    assert errors == []
    with database.session_scope() as session:
        assert session.get_one(Training, training_id).seats_taken == 1
        assert session.get_one(Recommendation, pairs[0][0]).status == "enrolled"


def test_cancellations_racing_with_accepts_keep_the_count_right(app: Flask, database: Database) -> None:
    training_id, pairs = _seed(database)
    assert _race(database, app, pairs) == []
    with database.session_scope() as session:
        enrolled = [
            (r.id, r.agent_id)
            for r in session.scalars(select(Recommendation).where(Recommendation.status == "enrolled"))
        ]

    barrier = threading.Barrier(len(enrolled))
    errors: list[BaseException] = []

    def cancel(rec_id: int, agent_id: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                with database.session_scope() as session:
                    decisions.decline(session, rec_id, agent_id, now=NOW)
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=cancel, args=pair) for pair in enrolled]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    with database.session_scope() as session:
        recs = list(session.scalars(select(Recommendation).where(Recommendation.training_id == training_id)))
        assert session.get_one(Training, training_id).seats_taken == CAPACITY
        assert sum(r.status == "enrolled" for r in recs) == CAPACITY  # the first four waiting took the seats
        waiting = sorted(r.waitlist_position for r in recs if r.status == "waitlisted")
        assert waiting == list(range(1, AGENTS - 2 * CAPACITY + 1))
