"""The demo LMS inside the app (development only; never registered in production): a course page with
demo people who launch the tool through the real OIDC flow, and the emulated Moodle endpoints."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti import claims as c
from lti import keys
from lti.current import get_runtime, request_session
from lti.demo.emulator import PlatformEmulator
from lti.demo.seed import DEMO_CLIENT_ID, DEMO_DEPLOYMENT_ID, demo_keyring, demo_root, ensure_demo_platform
from lti.demo.users import DEMO_USERS, INSTRUCTOR
from lti.runtime import LtiRuntime

bp = Blueprint("demo_lms", __name__, url_prefix="/demo-lms", template_folder="../templates")
EXTENSION_KEY = "lti.demo"


def init_app(app: Flask, runtime: LtiRuntime) -> None:
    app.extensions[EXTENSION_KEY] = None
    app.register_blueprint(bp)

    @app.context_processor
    def _demo_link() -> dict[str, str]:
        return {"demo_lms_url": url_for("demo_lms.index")}


def _tool_jwks(runtime: LtiRuntime) -> dict[str, Any]:
    with runtime.database.session_scope() as session:
        return keys.jwks(session)


def emulator() -> PlatformEmulator:
    """The demo platform, built once (its gradebook lives as long as the development server)."""
    existing: PlatformEmulator | None = current_app.extensions.get(EXTENSION_KEY)
    if existing is not None:
        return existing
    runtime = get_runtime()
    session = request_session()
    ensure_demo_platform(session, runtime.urls.base_url, runtime.secret_box)
    ring = demo_keyring(session, runtime.secret_box)
    session.commit()
    built = PlatformEmulator(
        root_url=demo_root(runtime.urls.base_url),
        client_id=DEMO_CLIENT_ID,
        deployment_id=DEMO_DEPLOYMENT_ID,
        tool_login_url=runtime.urls.login,
        tool_launch_url=runtime.urls.launch,
        tool_jwks=lambda: _tool_jwks(runtime),
        keyring=ring,
        users=DEMO_USERS,
    )
    current_app.extensions[EXTENSION_KEY] = built
    return built


@bp.get("/")
def index() -> ResponseReturnValue:
    platform = emulator()
    people = [
        {
            "user": user,
            "fields": platform.login_initiation(user.sub),
            "deep_link": platform.login_initiation(user.sub, message_type=c.DEEP_LINKING_REQUEST)
            if INSTRUCTOR in user.roles
            else None,
        }
        for user in DEMO_USERS
    ]
    names = {user.sub: user.name for user in DEMO_USERS}
    return render_template(
        "lti/demo/index.html",
        people=people,
        login_url=get_runtime().urls.login,
        scores=platform.gradebook.latest_scores(),
        names=names,
        platform=platform,
    )


@bp.route("/mod/lti/<path:rest>", methods=["GET", "POST"])
def protocol(rest: str) -> ResponseReturnValue:
    return emulator().handle(request)
