"""Match agents to Moodle users.

For an agent who launched from the connection's own Moodle, the LTI ``sub`` IS the Moodle user id: no
call is needed. Others are looked up with ``core_user_get_users_by_field`` in batches, by idnumber (the
ministry id, most reliable), then username, then e-mail. Moodle silently leaves unknown values out of its
answer, so the job diffs the answer itself; a value held by several Moodle users is ambiguous and is not
matched. Unmatched agents are reported in the run (counts by reason, agent ids), never dropped.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from sync.models import LmsConnection
from sync.moodle.client import MoodleClient
from sync.moodle.errors import MoodleItemError
from sync.ports import AgentRef
from sync.runs import JobContext, chunked

log = logging.getLogger(__name__)

LOOKUP_BATCH = 100  # values per core_user_get_users_by_field call (answers are heavy: ~1 kB per user)
PAGE = 1000  # agents read from the database per chunk
MAX_UNMATCHED_IDS = 200
# (Moodle field, AgentRef attribute), in order of trust.
FIELDS = (("idnumber", "external_id"), ("username", "username"), ("email", "email"))
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass
class MatchResult:
    matched: dict[int, int] = field(default_factory=dict)  # agent id -> Moodle user id
    unmatched: dict[int, str] = field(default_factory=dict)  # agent id -> reason


def _value(agent: AgentRef, attr: str) -> str | None:
    raw = getattr(agent, attr)
    if not raw or not str(raw).strip():
        return None
    value = str(raw).strip()
    if attr == "email":
        value = value.lower()
        return value if _EMAIL.match(value) else None
    if attr == "username":
        return value.lower()  # Moodle stores usernames in lower case (PARAM_USERNAME)
    return value


def _moodle_value(field_name: str, user_value: str) -> str:
    return user_value.lower() if field_name in ("email", "username") else user_value


def lookup(client: MoodleClient, field_name: str, values: Sequence[str]) -> dict[str, list[int]]:
    """``{value: [Moodle user ids]}`` for the values Moodle knows. A value Moodle refuses as invalid
    fails the whole call: the batch is split until that value stands alone, and it is left out."""
    try:
        users = client.get_users_by_field(field_name, values)
    except MoodleItemError:
        if len(values) == 1:
            return {}
        middle = len(values) // 2
        halves = lookup(client, field_name, values[:middle])
        halves.update(lookup(client, field_name, values[middle:]))
        return halves
    found: dict[str, list[int]] = defaultdict(list)
    for user in users:
        found[_moodle_value(field_name, getattr(user, field_name))].append(user.id)
    return found


def match_agents(
    ctx: JobContext, client: MoodleClient, agents: Sequence[AgentRef], workers: int
) -> MatchResult:
    result = MatchResult()
    pending: list[AgentRef] = []
    for agent in agents:
        if agent.sub is not None and agent.sub.isdigit():
            result.matched[agent.id] = int(agent.sub)
        else:
            pending.append(agent)
    for field_name, attr in FIELDS:
        by_value: dict[str, list[AgentRef]] = defaultdict(list)
        for agent in pending:
            value = _value(agent, attr)
            if value is not None:
                by_value[value].append(agent)
        if not by_value:
            continue
        batches = list(chunked(sorted(by_value), LOOKUP_BATCH))
        outcomes = ctx.parallel(partial(lookup, client, field_name), batches, workers)
        for outcome in outcomes:
            if outcome.error is not None:
                raise outcome.error
            for value, ids in outcome.value.items():
                holders = by_value.get(value, [])
                if len(ids) == 1 and len(holders) == 1:
                    result.matched[holders[0].id] = ids[0]
                else:
                    for agent in holders:
                        result.unmatched[agent.id] = "ambiguous"
        pending = [a for a in pending if a.id not in result.matched and a.id not in result.unmatched]
    for agent in pending:
        has_identifier = any(_value(agent, attr) for _, attr in FIELDS)
        result.unmatched[agent.id] = "not_found" if has_identifier else "no_identifier"
    return result


def record(ctx: JobContext, result: MatchResult, *, count_unmatched: bool = True) -> None:
    """Write the matches (unless dry run) and report the unmatched in the run."""
    if result.matched and not ctx.dry_run:
        ctx.port.set_lms_user_ids(ctx.session, result.matched)
    ctx.bump("matched", len(result.matched))
    if count_unmatched:
        ctx.count(pulled=len(result.matched))
    if result.unmatched:
        reasons = Counter(result.unmatched.values())
        progress = ctx.run.progress or {}
        totals = dict(progress.get("unmatched", {}))
        for reason, n in reasons.items():
            totals[reason] = int(totals.get(reason, 0)) + n
        ids = list(progress.get("unmatched_agent_ids", []))
        ids.extend(sorted(result.unmatched)[: max(0, MAX_UNMATCHED_IDS - len(ids))])
        ctx.note(unmatched=totals, unmatched_agent_ids=ids)
        if count_unmatched:
            ctx.count(skipped=len(result.unmatched))


def run(ctx: JobContext, connection: LmsConnection) -> None:
    """Match every agent of this connection who has no Moodle user id yet."""
    client = ctx.client(connection)
    after_id = 0
    done = 0
    while True:
        agents = ctx.port.unmatched_agents(ctx.session, connection, limit=PAGE, after_id=after_id)
        if not agents:
            break
        after_id = agents[-1].id
        record(ctx, match_agents(ctx, client, agents, connection.max_parallel))
        done += len(agents)
        ctx.phase(f"match #{connection.id}", done, done)
        ctx.checkpoint()
    log.info("match on connection %s: %s agents looked at", connection.id, done)
