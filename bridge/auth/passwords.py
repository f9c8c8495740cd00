"""Password hashing (argon2id) and the password policy of local admin accounts."""

from __future__ import annotations

import string
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256

# argon2-cffi's defaults follow RFC 9106's low-memory profile (argon2id, t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()


class PasswordProblem(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    ONE_CLASS = "one_class"
    SAME_AS_USERNAME = "same_as_username"


def password_problems(password: str, username: str = "") -> list[PasswordProblem]:
    """What is wrong with a new password (empty list: acceptable).

    At least 12 characters, at most 256, not made of a single class of characters (only lower-case
    letters, only digits...), and not the username.
    """
    problems: list[PasswordProblem] = []
    if len(password) < MIN_LENGTH:
        problems.append(PasswordProblem.TOO_SHORT)
    if len(password) > MAX_LENGTH:
        problems.append(PasswordProblem.TOO_LONG)
    if password and _character_classes(password) < 2:
        problems.append(PasswordProblem.ONE_CLASS)
    if username and password.casefold() == username.casefold():
        problems.append(PasswordProblem.SAME_AS_USERNAME)
    return problems


def _character_classes(password: str) -> int:
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c in string.digits for c in password),
        any(not c.isalnum() for c in password),
    ]
    return sum(classes)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def _dummy_hash() -> str:
    return _hasher.hash("pacnum-dummy-password-for-timing")


def burn_verification(password: str) -> None:
    """Spend the time of one verification, so that an unknown username answers as slowly as a known one."""
    verify_password(_dummy_hash(), password)
