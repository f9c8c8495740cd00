"""The tool's LTI endpoints: login initiation, launch, platform-storage check, deep linking, JWKS and
dynamic registration. Views parse and render; lti.login / lti.launch / lti.deep_linking /
lti.dynamic_registration do the work.
"""

from __future__ import annotations

import hmac
import logging
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as WerkzeugResponse

from lti import claims as c
from lti import keys
from lti.context import LaunchContext
from lti.current import get_runtime, request_session
from lti.deep_linking import build_response
from lti.dynamic_registration import register as register_platform
from lti.errors import refuse
from lti.launch import load_launch, save_launch, validate_launch
from lti.login import binding_hash, start_login
from lti.models import Platform

log = logging.getLogger(__name__)

bp = Blueprint(
    "lti", __name__, template_folder="templates", static_folder="static", static_url_path="/lti/static"
)


def _no_store(response: WerkzeugResponse) -> WerkzeugResponse:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/lti/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    params = {key: request.values.get(key, "") for key in request.values}
    outcome = start_login(request_session(), get_runtime(), params)
    if outcome.storage_target is None:
        return _no_store(redirect(outcome.auth_url, code=302))
    return _no_store(
        Response(
            render_template(
                "lti/login_storage.html",
                outcome=outcome,
                retry_url=url_for("lti.login") + "?" + urlencode(outcome.retry_params),
            )
        )
    )


@bp.post("/lti/launch")
def launch() -> ResponseReturnValue:
    runtime = get_runtime()
    validated = validate_launch(request_session(), runtime, request.form)  # commits what it must keep itself
    if validated.login.storage_target:
        save_launch(runtime, validated.context, validated.payload, validated.login.binding_hash)
        platform_origin = _origin_of_state(validated.context)
        return _no_store(
            Response(
                render_template(
                    "lti/launch_storage.html",
                    launch_id=validated.context.launch_id,
                    storage_target=validated.login.storage_target,
                    state=validated.login.state,
                    platform_origin=platform_origin,
                )
            )
        )
    return _continue(validated.context, validated.payload)


def _origin_of_state(context: LaunchContext) -> str:
    """The origin the platform-storage frame answers from: the platform's OIDC authorization URL."""
    platform = request_session().get(Platform, context.platform_id)
    if platform is None:
        raise refuse("lti.state_unknown")
    parts = urlsplit(platform.auth_login_url)
    return f"{parts.scheme}://{parts.netloc}"


@bp.post("/lti/launch/confirm")
def confirm() -> ResponseReturnValue:
    """Second half of a launch that used platform storage: the browser proves it started the login."""
    saved = load_launch(get_runtime(), request.form.get("launch_id", ""))
    value = request.form.get("binding", "")
    if (
        not saved.binding_hash
        or not value
        or not hmac.compare_digest(binding_hash(value), saved.binding_hash)
    ):
        raise refuse("lti.binding_failed")
    return _continue(saved.context, saved.payload)


def _continue(context: LaunchContext, payload: dict[str, object]) -> ResponseReturnValue:
    runtime = get_runtime()
    if context.message_type != c.DEEP_LINKING_REQUEST:
        return runtime.launch_handler(context)
    if not context.is_staff:
        raise refuse("lti.deep_linking_forbidden")
    save_launch(runtime, context, dict(payload), None)
    choices = runtime.deep_link_choices(context)
    return _no_store(Response(render_template("lti/deep_link.html", context=context, choices=choices)))


@bp.post("/lti/deep-link")
def deep_link_submit() -> ResponseReturnValue:
    runtime = get_runtime()
    session = request_session()
    saved = load_launch(runtime, request.form.get("launch_id", ""))
    context = saved.context
    if context.deep_linking is None or not context.is_staff:
        raise refuse("lti.deep_linking_forbidden")
    wanted = request.form.get("choice", "")
    choice = next((item for item in runtime.deep_link_choices(context) if item.id == wanted), None)
    if choice is None:
        raise refuse("lti.unknown_choice")
    token = build_response(session, runtime, context, choice)
    runtime.record(
        session,
        "lti.deep_link",
        f"platform:{context.platform_id}",
        choice=choice.id,
        deployment=context.deployment_id,
    )
    session.commit()
    return _no_store(
        Response(
            render_template(
                "lti/deep_link_return.html",
                return_url=context.deep_linking.return_url,
                token=token,
                choice=choice,
            )
        )
    )


@bp.get("/lti/jwks")
@bp.get("/.well-known/jwks.json")
def jwks() -> ResponseReturnValue:
    session = request_session()
    keys.ensure_active_key(session, get_runtime().secret_box)
    data = keys.jwks(session)
    session.commit()
    response = jsonify(data)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/lti/register")
def register() -> ResponseReturnValue:
    """Dynamic registration without a link: only from the hosts in BRIDGE_LTI_REGISTRATION_HOSTS."""
    return _register(None)


@bp.get("/lti/register/<token>")
def register_with_link(token: str) -> ResponseReturnValue:
    """Dynamic registration through a one-time link issued by the tool's admin."""
    return _register(token)


def _register(link_token: str | None) -> ResponseReturnValue:
    runtime = get_runtime()
    session = request_session()
    result = register_platform(
        session,
        runtime,
        request.args.get("openid_configuration", "").strip(),
        request.args.get("registration_token", "").strip(),
        link_token=link_token,
    )
    keys.ensure_active_key(session, runtime.secret_box)
    session.commit()
    return _no_store(Response(render_template("lti/registered.html", result=result, urls=runtime.urls)))
