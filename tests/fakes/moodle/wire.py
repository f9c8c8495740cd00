"""Wire helpers of the fake Moodle: PHP form parsing, PHP-style JSON and Moodle's REST XML."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

_BRACKETS = re.compile(r"\[([^\]]*)\]")


def parse_php_form(body: str, max_input_vars: int = 5000) -> dict[str, Any]:
    """Rebuild nested arrays from ``a[0][b]=x`` pairs as PHP fills $_POST.

    PHP keeps the first ``max_input_vars + 1`` variables (as observed on Moodle 4.5.6) and silently drops the
    rest. Arrays are dicts in insertion order (PHP arrays); ``[]`` appends; a later duplicate overwrites.
    """
    pairs = parse_qsl(body, keep_blank_values=True)[: max_input_vars + 1]
    result: dict[str, Any] = {}
    for raw_key, value in pairs:
        head, _, rest = raw_key.partition("[")
        if not head:
            continue
        keys = [head] + (_BRACKETS.findall("[" + rest) if rest else [])
        node = result
        for depth, key in enumerate(keys):
            if key == "":
                key = str(sum(1 for k in node if k.isdigit()))
            if depth == len(keys) - 1:
                node[key] = value
            else:
                child = node.get(key)
                if not isinstance(child, dict):
                    child = {}
                    node[key] = child
                node = child
    return result


def php_json(value: Any) -> str:
    """json_encode() output: compact, ASCII with \\u escapes, and escaped slashes."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/")


def _xml_value(value: Any) -> str:
    if value is None:
        return '<VALUE null="null"/>\n'
    if isinstance(value, dict):
        keys = "".join(f'<KEY name="{escape(k)}">{_xml_value(v)}</KEY>\n' for k, v in value.items())
        return f"<SINGLE>\n{keys}</SINGLE>\n"
    if isinstance(value, list):
        return "<MULTIPLE>\n" + "".join(_xml_value(v) for v in value) + "</MULTIPLE>\n"
    if isinstance(value, bool):
        value = int(value)
    return f"<VALUE>{escape(str(value))}</VALUE>\n"


XML_HEAD = '<?xml version="1.0" encoding="UTF-8" ?>\n'


def rest_xml(value: Any) -> str:
    """Moodle's REST XML rendering of a return value (see capture 24)."""
    inner = "" if value is None else _xml_value(value)
    return f"{XML_HEAD}<RESPONSE>\n{inner}</RESPONSE>\n"


def rest_xml_error(error: dict[str, Any]) -> str:
    parts = [f'<EXCEPTION class="{escape(str(error["exception"]))}">\n']
    if "errorcode" in error:
        parts.append(f"<ERRORCODE>{escape(error['errorcode'])}</ERRORCODE>\n")
    parts.append(f"<MESSAGE>{escape(error['message'])}</MESSAGE>\n")
    if "debuginfo" in error:
        parts.append(f"<DEBUGINFO>{escape(error['debuginfo'])}</DEBUGINFO>\n")
    parts.append("</EXCEPTION>\n")
    return XML_HEAD + "".join(parts)
