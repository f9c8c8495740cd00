"""The floor of launch throughput: a bare Flask app that does nothing but what every LTI tool must do.

``/lti/login`` answers the OIDC login initiation with a redirect carrying a fresh state and nonce (nothing
stored); ``/lti/launch`` verifies the RS256 id_token with PyJWT against the platform key fetched once at
start-up (issuer, audience and expiry checked). Configured by BENCH_JWKS_URL, BENCH_ISSUER,
BENCH_CLIENT_ID and BENCH_AUTH_URL. Run: ``gunicorn bench.launch_apps.floor:app``.
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import urlencode

import jwt
import requests
from flask import Flask, abort, redirect, request
from werkzeug.wrappers import Response

app = Flask(__name__)
ISSUER = os.environ.get("BENCH_ISSUER", "")
CLIENT_ID = os.environ.get("BENCH_CLIENT_ID", "")
AUTH_URL = os.environ.get("BENCH_AUTH_URL", "")
_jwks = (
    requests.get(os.environ["BENCH_JWKS_URL"], timeout=10).json() if "BENCH_JWKS_URL" in os.environ else {}
)
KEYS = {key["kid"]: jwt.PyJWK(key).key for key in _jwks.get("keys", [])}


@app.route("/lti/login", methods=["GET", "POST"])
def login() -> Response:
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": CLIENT_ID,
        "redirect_uri": request.values.get("target_link_uri", ""),
        "login_hint": request.values.get("login_hint", ""),
        "lti_message_hint": request.values.get("lti_message_hint", ""),
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
    }
    return redirect(f"{AUTH_URL}?{urlencode(query)}", code=302)


@app.post("/lti/launch")
def launch() -> str:
    token = request.form.get("id_token", "")
    try:
        kid = jwt.get_unverified_header(token).get("kid", "")
        claims = jwt.decode(token, KEYS[kid], algorithms=["RS256"], audience=CLIENT_ID, issuer=ISSUER)
    except (jwt.PyJWTError, KeyError):
        abort(400)
    return f"ok {claims['sub']}"
