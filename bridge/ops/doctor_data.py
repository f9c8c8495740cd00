"""Doctor checks on stored data: item bank, secrets, tool keys, LMS connections, scheduler heartbeat."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jwcrypto import jwk
from sqlalchemy import func, select

from bridge.assessment.models import AssessmentItem
from bridge.ops.checks import Check, fail, ok, warn
from bridge.ops.metrics_db import latest_runs
from bridge.ops.rotation import scan
from config.crypto import SecretBox, SecretDecryptionError
from config.database import Database, utcnow
from config.framework import load_framework
from config.settings import Settings
from lti.models import ToolKey
from sync.models import LmsConnection, SyncRun
from sync.moodle.client import MoodleClient
from sync.moodle.connection import check_connection
from sync.moodle.errors import MoodleError, MoodleFatalError

HEARTBEAT_STALE = timedelta(minutes=15)
JOB_SILENT = timedelta(hours=26)  # nightly jobs: one missed night shows


def check_item_bank(database: Database) -> Iterator[Check]:
    with database.sessionmaker() as session:
        counts = dict(
            session.execute(
                select(AssessmentItem.competence, func.count())
                .where(AssessmentItem.active.is_(True))
                .group_by(AssessmentItem.competence)
            ).all()
        )
    codes = load_framework().competence_codes
    if not counts:
        yield fail(
            "item bank", "no active item: run `flask --app wsgi bridge setup` (imports the shipped bank)"
        )
        return
    per = ", ".join(f"{code}: {counts.get(code, 0)}" for code in codes)
    empty = [code for code in codes if not counts.get(code)]
    if empty:
        yield warn("item bank", f"no active item for {', '.join(empty)} ({per})")
    else:
        yield ok("item bank", f"{sum(counts.values())} active items ({per})")


def check_secrets(database: Database, settings: Settings) -> Iterator[Check]:
    with database.sessionmaker() as session:
        found = scan(session, settings.encryption_keys())
    if found.unreadable:
        yield fail(
            "stored secrets",
            f"{len(found.unreadable)} cannot be decrypted with BRIDGE_ENCRYPTION_KEY "
            f"({', '.join(found.unreadable[:5])}): was a key removed too early?",
        )
    elif found.older:
        yield warn(
            "stored secrets",
            f"{found.older} of {found.total} still under an older key: run `flask --app wsgi bridge "
            "rotate-encryption`, then drop the old key",
        )
    else:
        yield ok("stored secrets", f"{found.total} readable with the current key")


def _b64int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def _private_modulus(plaintext: str) -> int:
    """The RSA modulus of a private key stored as PEM or as a JWK (JSON)."""
    if plaintext.lstrip().startswith("{"):
        key = jwk.JWK(**json.loads(plaintext))
        return _b64int(key.export_public(as_dict=True)["n"])
    private = load_pem_private_key(plaintext.encode(), password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise ValueError("not an RSA key")
    return private.public_key().public_numbers().n


def check_tool_keys(database: Database, settings: Settings) -> Iterator[Check]:
    box = SecretBox(settings.encryption_keys())
    with database.sessionmaker() as session:
        active = list(session.scalars(select(ToolKey).where(ToolKey.active.is_(True)).order_by(ToolKey.id)))
    if not active:
        yield fail(
            "tool keys",
            "no active tool key: create one with the LTI key command (flask --app wsgi lti --help)",
        )
        return
    if len(active) > 1:
        yield warn(
            "tool keys",
            f"{len(active)} active keys: exactly one should sign (kids {[k.kid for k in active]})",
        )
    key = active[-1]
    try:
        modulus = _private_modulus(box.decrypt(key.private_key_encrypted))
    except SecretDecryptionError:
        yield fail(
            "tool keys", f"the private key of {key.kid} cannot be decrypted with BRIDGE_ENCRYPTION_KEY"
        )
        return
    except (ValueError, TypeError, KeyError):
        yield fail("tool keys", f"the private key of {key.kid} is not a readable RSA key")
        return
    if modulus != _b64int(str(key.public_jwk.get("n", ""))):
        yield fail("tool keys", f"the private key of {key.kid} does not match its published public key")
        return
    yield ok("tool keys", f"active key {key.kid} decrypts and matches its JWKS entry")


def check_lms_connections(database: Database, settings: Settings) -> Iterator[Check]:
    box = SecretBox(settings.encryption_keys())
    with database.sessionmaker() as session:
        connections = list(
            session.scalars(
                select(LmsConnection).where(LmsConnection.active.is_(True)).order_by(LmsConnection.id)
            )
        )
    if not connections:
        yield warn("LMS connections", "none active: enrolments and completions will not sync")
        return
    for connection in connections:
        name = f"LMS #{connection.id} {connection.name or connection.base_url}"
        try:
            token = box.decrypt(connection.token_encrypted)
        except SecretDecryptionError:
            yield fail(name, "its token cannot be decrypted with BRIDGE_ENCRYPTION_KEY")
            continue
        client = MoodleClient(connection.base_url, token, timeout=(5, 20), max_retries=1, backoff_cap=2)
        try:
            report = check_connection(client)
        except MoodleFatalError as exc:
            yield fail(name, f"Moodle refused the token ({exc.errorcode or exc.message})")
            continue
        except MoodleError as exc:
            yield fail(name, f"Moodle does not answer properly ({type(exc).__name__}: {exc.message})")
            continue
        finally:
            client.close()
        site = f"Moodle {report.release} ({report.sitename})"
        if report.missing_functions:
            missing = ", ".join(sorted(report.missing_functions))
            yield fail(name, f"{site}: the token's service lacks {missing}")
        else:
            yield ok(name, f"{site}, every web-service function available")


def check_scheduler(database: Database) -> Iterator[Check]:
    now = utcnow()
    with database.sessionmaker() as session:
        running = list(session.scalars(select(SyncRun).where(SyncRun.status == "running")))
        latest = latest_runs(session)
    if not latest:
        yield warn(
            "scheduler", "no scheduler heartbeat found (no sync run recorded yet): is the scheduler running?"
        )
        return
    silence = {r.id: now - (r.heartbeat_at or r.started_at) for r in running}
    stale = [r for r in running if silence[r.id] > HEARTBEAT_STALE]
    if stale:
        described = ", ".join(
            f"{r.job} #{r.id} silent for {int(silence[r.id].total_seconds() // 60)} min" for r in stale
        )
        yield fail("scheduler", f"stale heartbeat: {described} (process killed or stuck?)")
    elif running:
        yield ok("scheduler", f"{len(running)} run(s) in progress, heartbeat fresh")
    else:
        newest = max(r.started_at for r in latest)
        yield ok("scheduler", f"idle, last run started {newest:%Y-%m-%d %H:%M} UTC")
    for run in latest:
        name = f"sync job {run.job}"
        age_hours = int((now - run.started_at).total_seconds() // 3600)
        if run.status == "failed":
            yield warn(name, f"last run #{run.id} failed: {(run.error or 'no error recorded')[:200]}")
        elif now - run.started_at > JOB_SILENT:
            yield warn(name, f"last run started {age_hours} h ago: is it still scheduled?")
        else:
            yield ok(name, f"last run #{run.id} {run.status}, {age_hours} h ago")
