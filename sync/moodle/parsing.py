"""Checked reads from decoded JSON: a missing required key or a wrong type is a MoodleProtocolError."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.moodle.errors import MoodleProtocolError

_MISSING = object()


def as_dict(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MoodleProtocolError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def as_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise MoodleProtocolError(f"{what}: expected a list, got {type(value).__name__}")
    return value


def _get(data: Mapping[str, Any], key: str, what: str, default: Any) -> Any:
    value = data.get(key, _MISSING)
    if value is _MISSING:
        if default is _MISSING:
            raise MoodleProtocolError(f"{what}: missing required key {key!r}")
        return default
    return value


def _to_int(value: Any, key: str, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise MoodleProtocolError(f"{what}: key {key!r} should be an integer, got {value!r}")


def req_int(data: Mapping[str, Any], key: str, what: str) -> int:
    return _to_int(_get(data, key, what, _MISSING), key, what)


def opt_int(data: Mapping[str, Any], key: str, what: str, default: int | None = None) -> int | None:
    value = _get(data, key, what, default)
    return None if value is None else _to_int(value, key, what)


def req_str(data: Mapping[str, Any], key: str, what: str) -> str:
    value = _get(data, key, what, _MISSING)
    if not isinstance(value, str):
        raise MoodleProtocolError(f"{what}: key {key!r} should be a string, got {type(value).__name__}")
    return value


def opt_str(data: Mapping[str, Any], key: str, what: str, default: str = "") -> str:
    value = _get(data, key, what, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MoodleProtocolError(f"{what}: key {key!r} should be a string, got {type(value).__name__}")
    return str(value)


def _to_bool(value: Any, key: str, what: str) -> bool:
    # PARAM_BOOL comes back as true/false; some structures use 0/1 integers.
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise MoodleProtocolError(f"{what}: key {key!r} should be a boolean, got {value!r}")


def req_bool(data: Mapping[str, Any], key: str, what: str) -> bool:
    return _to_bool(_get(data, key, what, _MISSING), key, what)


def opt_bool(data: Mapping[str, Any], key: str, what: str, default: bool | None = None) -> bool | None:
    value = _get(data, key, what, default)
    if value is None:
        return None
    return _to_bool(value, key, what)


def opt_float(data: Mapping[str, Any], key: str, what: str) -> float | None:
    value = _get(data, key, what, None)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MoodleProtocolError(f"{what}: key {key!r} should be a number, got {value!r}")
    return float(value)
