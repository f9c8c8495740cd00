"""Encryption key rotation: re-encrypt every stored secret with the first BRIDGE_ENCRYPTION_KEY.

Stored secrets are the columns named ``*_encrypted`` (a schema convention: ``lti_tool_key.
private_key_encrypted``, ``lms_connection.token_encrypted``, and any added later), found from the
metadata so that a new secret column is rotated without touching this module.

Procedure (docs/operations.md): prepend a new key to BRIDGE_ENCRYPTION_KEY and restart, run
``flask --app wsgi bridge rotate-encryption``, then remove the old key and restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, Table, select, update
from sqlalchemy.orm import Session

from config.crypto import SecretBox, SecretDecryptionError
from config.database import Base

SUFFIX = "_encrypted"


def secret_columns() -> Iterator[tuple[Table, Column[str]]]:
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if column.name.endswith(SUFFIX):
                yield table, column


@dataclass
class SecretScan:
    current: int = 0  # readable with the first (current) key
    older: int = 0  # readable only with an older key: to rotate
    unreadable: list[str] = field(default_factory=list)  # "table.column#id": no configured key reads it

    @property
    def total(self) -> int:
        return self.current + self.older + len(self.unreadable)


def _rows(session: Session, table: Table, column: Column[str]) -> Iterator[tuple[object, str]]:
    (pk,) = table.primary_key.columns
    rows = session.execute(select(pk, column).where(column.is_not(None)).order_by(pk))
    yield from ((row_id, value) for row_id, value in rows)


def scan(session: Session, keys: list[str]) -> SecretScan:
    """Which stored secrets the first key reads, which need an older one, which none can read."""
    first = Fernet(keys[0].encode())
    box = SecretBox(keys)
    result = SecretScan()
    for table, column in secret_columns():
        for row_id, value in _rows(session, table, column):
            try:
                first.decrypt(value.encode("ascii"))
                result.current += 1
                continue
            except (InvalidToken, ValueError):
                pass
            try:
                box.decrypt(value)
                result.older += 1
            except SecretDecryptionError:
                result.unreadable.append(f"{table.name}.{column.name}#{row_id}")
    return result


def rotate_all(session: Session, keys: list[str]) -> int:
    """Re-encrypt every stored secret with the first key (the caller commits). Refuses to start when a
    secret cannot be read, so a run never leaves the secrets half rotated."""
    found = scan(session, keys)
    if found.unreadable:
        raise SecretDecryptionError(
            f"{len(found.unreadable)} stored secret(s) cannot be decrypted with the configured keys "
            f"({', '.join(found.unreadable[:5])}): put the key they were encrypted with back in "
            "BRIDGE_ENCRYPTION_KEY"
        )
    box = SecretBox(keys)
    rotated = 0
    for table, column in secret_columns():
        (pk,) = table.primary_key.columns
        for row_id, value in list(_rows(session, table, column)):
            session.execute(update(table).where(pk == row_id).values({column.name: box.rotate(value)}))
            rotated += 1
    return rotated
