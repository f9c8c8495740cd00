"""Moodle's external API parameter validation, re-implemented for the fake (messages as Moodle words them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

REQUIRED, OPTIONAL, DEFAULT = "required", "optional", "default"
INVALID_PARAMETER = "Invalid parameter value detected"


class WsError(Exception):
    """An exception Moodle would serialise as {exception, errorcode, message, debuginfo}."""

    def __init__(
        self, exception: str, errorcode: str | None, message: str, debuginfo: str | None = None
    ) -> None:
        super().__init__(message)
        self.exception, self.errorcode, self.message, self.debuginfo = (
            exception,
            errorcode,
            message,
            debuginfo,
        )

    def payload(self, debug: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"exception": self.exception}
        if self.errorcode is not None:
            out["errorcode"] = self.errorcode
        out["message"] = self.message
        if debug and self.debuginfo is not None:
            out["debuginfo"] = self.debuginfo
        return out


def invalid_parameter(debuginfo: str) -> WsError:
    return WsError(
        "core\\exception\\invalid_parameter_exception", "invalidparameter", INVALID_PARAMETER, debuginfo
    )


def moodle_exception(errorcode: str, message: str, debuginfo: str | None = None) -> WsError:
    return WsError("core\\exception\\moodle_exception", errorcode, message, debuginfo)


def coding_error(message: str, debuginfo: str | None = None) -> WsError:
    return WsError(
        "core\\exception\\coding_exception",
        "codingerror",
        "Coding error detected, it must be fixed by a programmer: " + message,
        debuginfo,
    )


def missing_record(table: str, where: str, value: Any) -> WsError:
    shown = repr(value) if isinstance(value, str) else str(value)
    return WsError(
        "dml_missing_record_exception",
        "invalidrecord",
        f"Can't find data record in database table {table}.",
        f"SELECT * FROM {{{table}}} WHERE {where} = ?\n[array (\n  0 => {shown},\n)]",  # noqa: S608
    )


@dataclass(frozen=True)
class Value:
    type: str  # "int", "raw", "bool", "alpha", "text"
    required: str = REQUIRED
    default: Any = None


@dataclass(frozen=True)
class Single:
    keys: dict[str, Value | Single | Multiple]
    required: str = REQUIRED
    default: Any = None


@dataclass(frozen=True)
class Multiple:
    content: Value | Single | Multiple
    required: str = REQUIRED
    default: Any = field(default_factory=list)


_INT = re.compile(r"^-?\d+$")


def _clean(value: str, ptype: str) -> Any:
    if ptype == "int":
        if not _INT.match(value):
            raise invalid_parameter(
                f'Invalid external api parameter: the value is "{value}", the server was expecting "int" type'
            )
        return int(value)
    if ptype == "bool":
        if value in ("0", "1", ""):
            return value == "1"
        raise invalid_parameter(
            f'Invalid external api parameter: the value is "{value}", the server was expecting "bool" type'
        )
    if ptype == "alpha" and not value.isalpha() and value != "":
        raise invalid_parameter(
            f'Invalid external api parameter: the value is "{value}", the server was expecting "alpha" type'
        )
    return value


def validate(desc: Value | Single | Multiple, params: Any) -> Any:
    """Validate PHP-parsed params (str leaves, dict arrays) against a description, as Moodle does."""
    if isinstance(desc, Value):
        if isinstance(params, dict):
            raise invalid_parameter(
                f'Invalid external api parameter: the value is "Array", the server was '
                f'expecting "{desc.type}" type'
            )
        return _clean(params, desc.type)
    if isinstance(desc, Multiple):
        if not isinstance(params, dict):
            raise invalid_parameter(f"Only arrays accepted. The bad value is: '{params}'")
        return [validate(desc.content, item) for item in params.values()]
    if not isinstance(params, dict):
        raise invalid_parameter(f"Only arrays accepted. The bad value is: '{params}'")
    rest = dict(params)
    result: dict[str, Any] = {}
    for key, sub in desc.keys.items():
        if key not in rest:
            if sub.required == REQUIRED:
                raise invalid_parameter(f"Missing required key in single structure: {key}")
            if sub.required == DEFAULT:
                result[key] = sub.default
            continue
        try:
            result[key] = validate(sub, rest.pop(key))
        except WsError as exc:
            if exc.errorcode != "invalidparameter":
                raise
            raise invalid_parameter(f"{key} => {INVALID_PARAMETER}: {exc.debuginfo}") from None
    if rest:
        raise invalid_parameter(f"Unexpected keys ({', '.join(rest)}) detected in parameter array.")
    return result
