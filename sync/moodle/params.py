"""PHP bracket flattening of web-service parameters.

Moodle reads nested parameters the way PHP builds ``$_POST``: ``enrolments[0][userid]=4``. ``requests``
does not do this, so parameters are flattened here, in order:

- mappings -> ``name[key]``, sequences -> ``name[0]``, ``name[1]``...;
- booleans -> ``"1"``/``"0"`` (Moodle refuses ``true``);
- ``None`` values are left out, and so are empty lists and mappings (PHP cannot receive an empty array);
- empty strings are sent (``cohorts[0][categorytype][value]=``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

Pair = tuple[str, str]


def scalar(value: object) -> str:
    """Render one scalar as PHP will read it."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | str):
        return str(value)
    raise TypeError(f"cannot send a {type(value).__name__} to Moodle")


def flatten(params: Mapping[str, Any]) -> list[Pair]:
    """Flatten nested parameters into ordered ``(key, value)`` pairs in PHP bracket syntax."""
    pairs: list[Pair] = []
    for key, value in params.items():
        _flatten_into(pairs, str(key), value)
    return pairs


def _flatten_into(pairs: list[Pair], prefix: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten_into(pairs, f"{prefix}[{key}]", item)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        for index, item in enumerate(value):
            _flatten_into(pairs, f"{prefix}[{index}]", item)
    else:
        pairs.append((prefix, scalar(value)))


def encode_body(token: str, function: str, params: Mapping[str, Any], *, fmt: str = "json") -> str:
    """The exact form body of a REST call: wstoken, wsfunction, moodlewsrestformat, then the parameters."""
    head: list[Pair] = [("wstoken", token), ("wsfunction", function), ("moodlewsrestformat", fmt)]
    return urlencode(head + flatten(params))
