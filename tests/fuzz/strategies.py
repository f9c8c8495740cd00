"""Hypothesis strategies for hostile input: any text, JSON values, JWT-shaped strings, URLs."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import strategies as st

# Any text, including NUL, control characters, right-to-left marks and very long values.
any_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(
        ["", " ", "\x00", "null", "[]", "{}", "%00", "../../etc/passwd", "<script>", "' OR 1=1 --"]
    ),
    st.text(max_size=3).map(lambda s: s * 3000),
)

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=3)
    ),
    max_leaves=8,
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment() -> st.SearchStrategy[str]:
    as_json = json_values.map(lambda v: _b64(json.dumps(v).encode()))
    return st.one_of(as_json, st.binary(max_size=80).map(_b64), st.text(max_size=20))


jwt_shaped = st.one_of(
    st.tuples(_segment(), _segment(), _segment()).map(".".join),
    st.lists(_segment(), min_size=1, max_size=6).map(".".join),
    st.tuples(
        st.fixed_dictionaries(
            {"alg": st.sampled_from(["RS256", "none", "HS256", "ES256", "RS512"])},
            optional={"kid": st.text(max_size=20), "typ": st.text(max_size=5), "jku": st.text(max_size=30)},
        ).map(lambda h: _b64(json.dumps(h).encode())),
        st.dictionaries(st.text(max_size=10), json_values, max_size=6).map(
            lambda c: _b64(json.dumps(c).encode())
        ),
        st.binary(max_size=300).map(_b64),
    ).map(".".join),
)

loopback_urls = st.builds(
    "http://127.0.0.1:{}/{}".format, st.integers(min_value=1, max_value=65535), st.text(max_size=20)
)
hostile_urls = st.one_of(
    loopback_urls,
    st.builds("http://{}.{}.{}.{}/x".format, *(st.integers(0, 255) for _ in range(4))),
    st.builds(
        "https://{}.invalid/{}".format,
        st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True),
        st.text(max_size=10),
    ),
    st.sampled_from(
        ["http://[::1]:1/", "file:///etc/passwd", "gopher://127.0.0.1:1/", "http://", "https://:0/"]
    ),
    any_text,
)
