"""A platform emulator speaking the real LTI 1.3 protocol, shaped like Moodle 4.5 (see the Moodle samples):
OIDC authorization endpoint, id_token signed RS256, JWKS, OAuth2 client-credentials token endpoint (the
tool's assertion verified against the tool's JWKS), deep-linking return, and AGS / NRPS endpoints.

A plain werkzeug component (``handle(request) -> response``) so that the in-app demo LMS (Flask,
development only) and the test platform (its own HTTP server, with knobs) share the same protocol code.
Paths copy Moodle's: ``/mod/lti/auth.php``, ``/mod/lti/token.php``, ``/mod/lti/certs.php``,
``/mod/lti/services.php/...``, ``/mod/lti/contentitem_return.php``.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from html import escape
from pathlib import Path
from threading import RLock
from typing import Any

import jwt
from werkzeug.wrappers import Request, Response

from lti import claims as c
from lti.demo.gradebook import Gradebook
from lti.demo.keyring import KeyRing
from lti.demo.users import EmulatedUser

log = logging.getLogger(__name__)

AUTOPOST_JS = (Path(__file__).resolve().parent.parent / "static" / "js" / "autopost.js").read_text(
    encoding="utf-8"
)
ToolJwks = Callable[[], dict[str, Any]]


class EmulatorError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class PlatformEmulator:
    def __init__(
        self,
        *,
        root_url: str,
        client_id: str,
        deployment_id: str,
        tool_login_url: str,
        tool_launch_url: str,
        tool_jwks: ToolJwks,
        keyring: KeyRing,
        users: tuple[EmulatedUser, ...],
        issuer: str | None = None,
        course_id: str = "2",
        course_label: str = "PACNUM-2026",
        course_title: str = "PACNum - parcours compétences numériques",
    ) -> None:
        self.root_url = root_url.rstrip("/")
        self.issuer = issuer or self.root_url
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.tool_login_url = tool_login_url
        self.tool_launch_url = tool_launch_url
        self.tool_jwks = tool_jwks
        self.keyring = keyring
        self.users = {user.sub: user for user in users}
        self.course_id, self.course_label, self.course_title = course_id, course_label, course_title
        self.gradebook = Gradebook(self)
        self.lock = RLock()
        self._hints: dict[str, dict[str, Any]] = {}
        self.deep_link_returns: list[dict[str, Any]] = []
        self.jwks_fetches = 0
        self.token_requests = 0
        self.tokens: dict[str, tuple[set[str], float]] = {}

    # -- URLs (Moodle's) ---------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.root_url + path

    @property
    def auth_url(self) -> str:
        return self.url("/mod/lti/auth.php")

    @property
    def token_url(self) -> str:
        return self.url("/mod/lti/token.php")

    @property
    def jwks_url(self) -> str:
        return self.url("/mod/lti/certs.php")

    @property
    def deep_link_return_url(self) -> str:
        return self.url("/mod/lti/contentitem_return.php")

    # -- step 1: the login initiation form Moodle's launch.php renders --------------------------------
    def login_initiation(
        self, sub: str, *, message_type: str = c.RESOURCE_LINK_REQUEST, **extra: str
    ) -> dict[str, str]:
        launch_id = f"ltilaunch1_{secrets.randbelow(10**9)}"
        with self.lock:
            self._hints[launch_id] = {"message_type": message_type, "sub": sub}
        fields = {
            "iss": self.issuer,
            "target_link_uri": self.tool_launch_url,
            "login_hint": sub,
            "lti_message_hint": json.dumps({"cmid": 9, "launchid": launch_id}, separators=(",", ":")),
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }
        fields.update(extra)
        return fields

    # -- step 3: claims, Moodle-shaped -------------------------------------------------------------
    def claims_for(self, user: EmulatedUser, nonce: str, message_type: str) -> dict[str, Any]:
        now = int(time.time())
        services = self.url(f"/mod/lti/services.php/{self.course_id}")
        memberships = self.url(f"/mod/lti/services.php/CourseSection/{self.course_id}/bindings/1/memberships")
        claims: dict[str, Any] = {
            "nonce": nonce,
            "iat": now,
            "exp": now + 60,
            "iss": self.issuer,
            "aud": self.client_id,
            c.DEPLOYMENT_ID: self.deployment_id,
            c.TARGET_LINK_URI: self.tool_launch_url,
            "sub": user.sub,
            c.LIS: {"person_sourcedid": user.person_sourcedid, "course_section_sourcedid": self.course_label},
            c.ROLES: list(user.roles),
            c.CONTEXT: {
                "id": self.course_id,
                "label": self.course_label,
                "title": self.course_title,
                "type": ["CourseSection"],
            },
            c.MESSAGE_TYPE: message_type,
            "given_name": user.given_name,
            "family_name": user.family_name,
            "name": user.name,
            c.EXT: {"user_username": user.username, "lms": "moodle-2"},
            "email": user.email,
            c.LAUNCH_PRESENTATION: {
                "locale": "fr",
                "document_target": "iframe",
                "return_url": self.url(f"/mod/lti/return.php?course={self.course_id}&launch_container=3"),
            },
            c.TOOL_PLATFORM: {
                "product_family_code": "moodle",
                "version": "2024100706",
                "guid": "pacnum-demo-lms",
                "name": "demo",
                "description": "Moodle de démonstration PACNum",
            },
            c.VERSION: c.LTI_VERSION,
            c.CUSTOM: {"context_memberships_url": memberships},
            c.NRPS: {"context_memberships_url": memberships, "service_versions": ["1.0", "2.0"]},
        }
        if message_type == c.RESOURCE_LINK_REQUEST:
            item = self.gradebook.ensure_line_item("1", "PACNum - auto-évaluation")
            claims[c.RESOURCE_LINK] = {"title": "Auto-évaluation PACNum", "description": "", "id": "1"}
            claims[c.AGS_ENDPOINT] = {
                "scope": [
                    c.SCOPE_LINEITEM,
                    c.SCOPE_LINEITEM_READONLY,
                    c.SCOPE_RESULT_READONLY,
                    c.SCOPE_SCORE,
                ],
                "lineitems": f"{services}/lineitems?type_id=1",
                "lineitem": f"{services}/lineitems/{item['_n']}/lineitem?type_id=1",
            }
        else:
            claims[c.DL_SETTINGS] = {
                "deep_link_return_url": self.deep_link_return_url + f"?course={self.course_id}&id=1",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["frame", "iframe", "window"],
                "accept_copy_advice": False,
                "accept_multiple": True,
                "accept_unsigned": False,
                "auto_create": False,
                "can_confirm": False,
                "accept_lineitem": True,
                "title": "",
                "text": "",
                "data": f"ltideeplink-{secrets.token_hex(4)}",
            }
        return claims

    def finish_claims(self, claims: dict[str, Any]) -> dict[str, Any]:
        """Hook for the test platform's knobs (override, remove claims)."""
        return claims

    def sign_id_token(self, claims: dict[str, Any]) -> str:
        return self.keyring.sign(claims)

    # -- HTTP ----------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.path
        prefix = self.root_url.split("://", 1)[-1].partition("/")[2]
        if prefix and path.startswith("/" + prefix):
            path = path[len(prefix) + 1 :]
        try:
            if path == "/mod/lti/auth.php":
                return self.authorize(request)
            if path == "/mod/lti/certs.php":
                return self.jwks_response()
            if path == "/mod/lti/token.php" and request.method == "POST":
                return self.token(request)
            if path == "/mod/lti/contentitem_return.php" and request.method == "POST":
                return self.deep_link_return(request)
            if path == "/mod/lti/autopost.js":
                return Response(AUTOPOST_JS, mimetype="text/javascript")
            if path.startswith("/mod/lti/services.php/"):
                return self.gradebook.handle(request, path.removeprefix("/mod/lti/services.php"))
        except EmulatorError as error:
            return Response(escape(str(error)), status=error.status, mimetype="text/plain")
        return Response("not found", status=404, mimetype="text/plain")

    def jwks_response(self) -> Response:
        with self.lock:
            self.jwks_fetches += 1
        return Response(json.dumps(self.published_jwks()), mimetype="application/json")

    def published_jwks(self) -> dict[str, Any]:
        return self.keyring.jwks()

    def authorize(self, request: Request) -> Response:
        args = request.values
        expected = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
        }
        for name, value in expected.items():
            if args.get(name) != value:
                raise EmulatorError(400, f"invalid_request: {name} must be {value}")
        if args.get("client_id") != self.client_id:
            raise EmulatorError(400, "unauthorized_client: unknown client_id")
        if args.get("redirect_uri") != self.tool_launch_url:
            raise EmulatorError(400, "invalid_request: redirect_uri is not registered")
        user = self.users.get(args.get("login_hint", ""))
        if user is None:
            raise EmulatorError(400, "login_required: unknown login_hint")
        if not args.get("nonce") or not args.get("state"):
            raise EmulatorError(400, "invalid_request: nonce and state are required")
        hint = json.loads(args.get("lti_message_hint") or "{}")
        with self.lock:
            launch = self._hints.pop(str(hint.get("launchid", "")), {"message_type": c.RESOURCE_LINK_REQUEST})
        claims = self.finish_claims(self.claims_for(user, args["nonce"], launch["message_type"]))
        token = self.sign_id_token(claims)
        return self.autopost(self.tool_launch_url, {"id_token": token, "state": args["state"]})

    def autopost(self, action: str, fields: dict[str, str]) -> Response:
        inputs = "".join(
            f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
        )
        html = (
            '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Redirection</title></head>'
            "<body>"
            f'<form method="post" action="{escape(action)}" data-autopost="true">{inputs}'
            '<button type="submit">Continuer</button></form>'
            f'<script src="{escape(self.url("/mod/lti/autopost.js"))}"></script></body></html>'
        )
        return Response(html, mimetype="text/html")

    # -- tool-signed messages --------------------------------------------------------------------
    def verify_tool_jwt(self, token: str, *, audience: str) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError as exc:
            raise EmulatorError(400, "invalid_client: malformed JWT") from exc
        for key in self.tool_jwks().get("keys", []):
            if key.get("kid") == kid:
                try:
                    claims: dict[str, Any] = jwt.decode(
                        token,
                        jwt.PyJWK(key, algorithm="RS256"),
                        algorithms=["RS256"],
                        audience=audience,
                        leeway=5,
                    )
                except jwt.InvalidTokenError as exc:
                    raise EmulatorError(401, f"invalid_client: {exc}") from exc
                return claims
        raise EmulatorError(401, "invalid_client: kid not in the tool's JWKS")

    def token(self, request: Request) -> Response:
        with self.lock:
            self.token_requests += 1
        form = request.form
        if form.get("grant_type") != "client_credentials":
            raise EmulatorError(400, "unsupported_grant_type")
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            raise EmulatorError(400, "invalid_request: client_assertion_type")
        claims = self.verify_tool_jwt(form.get("client_assertion", ""), audience=self.token_url)
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            raise EmulatorError(401, "invalid_client: iss/sub")
        scopes = set(form.get("scope", "").split())
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = (scopes, time.time() + 3600)
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": " ".join(sorted(scopes)),
        }
        return Response(json.dumps(body), mimetype="application/json")

    def check_bearer(self, request: Request, scope: str) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        with self.lock:
            granted = self.tokens.get(token)
        if granted is None or granted[1] < time.time() or scope not in granted[0]:
            raise EmulatorError(401, "invalid or insufficient access token")

    def deep_link_return(self, request: Request) -> Response:
        claims = self.verify_tool_jwt(request.form.get("JWT", ""), audience=self.issuer)
        if claims.get(c.MESSAGE_TYPE) != c.DEEP_LINKING_RESPONSE:
            raise EmulatorError(400, "not a deep linking response")
        items = claims.get(c.DL_CONTENT_ITEMS) or []
        with self.lock:
            self.deep_link_returns.append(claims)
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("lineItem"), dict):
                line = item["lineItem"]
                self.gradebook.ensure_line_item(
                    str(len(self.gradebook.items) + 1), str(line.get("label", ""))
                )
        titles = ", ".join(escape(str(item.get("title", ""))) for item in items if isinstance(item, dict))
        html = (
            '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
            "<title>Activité ajoutée</title></head>"
            f'<body><h1 id="deep-link-done">Activité ajoutée : {titles}</h1></body></html>'
        )
        return Response(html, mimetype="text/html")
