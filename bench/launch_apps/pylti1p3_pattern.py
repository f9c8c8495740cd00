# mypy: disable-error-code="no-untyped-call"
"""pylti1p3's documented Flask pattern (its Flask example tool, reduced to the launch):
FlaskOIDCLogin / FlaskMessageLaunch with the launch data in a flask-caching store, the tool
configuration's ``key_set_url`` so the platform JWKS is fetched on every launch.

The cache is shared by the workers (flask-caching RedisCache on BENCH_REDIS_URL): the documented
per-process SimpleCache loses the launch when the login and the launch reach different workers. The
example's ``enable_check_cookies()`` page is left out (it needs a browser running its script).
Run: ``gunicorn bench.launch_apps.pylti1p3_pattern:app`` with flask-caching on PYTHONPATH.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask_caching import Cache  # type: ignore[import-not-found,unused-ignore]
from pylti1p3.contrib.flask.launch_data_storage.cache import FlaskCacheDataStorage
from pylti1p3.contrib.flask.message_launch import FlaskMessageLaunch
from pylti1p3.contrib.flask.oidc_login import FlaskOIDCLogin
from pylti1p3.contrib.flask.request import FlaskRequest
from pylti1p3.tool_config.dict import ToolConfDict

app = Flask(__name__)
app.config.update(
    SECRET_KEY="bench-" + "x" * 32,
    CACHE_TYPE="RedisCache",
    CACHE_REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
    CACHE_DEFAULT_TIMEOUT=600,
)
cache = Cache(app)

ISSUER = os.environ.get("BENCH_ISSUER", "")
CLIENT_ID = os.environ.get("BENCH_CLIENT_ID", "")


def tool_conf() -> ToolConfDict:
    settings: dict[str, Any] = {
        ISSUER: [
            {
                "default": True,
                "client_id": CLIENT_ID,
                "auth_login_url": os.environ.get("BENCH_AUTH_URL", ""),
                "auth_token_url": os.environ.get("BENCH_TOKEN_URL", ""),
                "key_set_url": os.environ.get("BENCH_JWKS_URL", ""),
                "key_set": None,
                "deployment_ids": [os.environ.get("BENCH_DEPLOYMENT_ID", "1")],
            }
        ]
    }
    conf = ToolConfDict(settings)
    with open(os.environ["BENCH_TOOL_KEY"], encoding="utf-8") as key:
        conf.set_private_key(ISSUER, key.read(), client_id=CLIENT_ID)
    return conf


@app.route("/lti/login", methods=["GET", "POST"])
def login() -> Any:
    flask_request = FlaskRequest()
    target_link_uri = flask_request.get_param("target_link_uri")
    oidc_login = FlaskOIDCLogin(flask_request, tool_conf(), launch_data_storage=FlaskCacheDataStorage(cache))
    return oidc_login.redirect(target_link_uri)


@app.post("/lti/launch")
def launch() -> str:
    message_launch = FlaskMessageLaunch(
        FlaskRequest(), tool_conf(), launch_data_storage=FlaskCacheDataStorage(cache)
    )
    data = message_launch.get_launch_data()
    return f"ok {data['sub']} {message_launch.get_launch_id()}"
