"""A test LTI platform over real HTTP, Moodle-shaped, reusing the demo LMS's protocol code
(lti.demo.emulator) with knobs: sign with any key or kid, override or remove claims, rotate keys, serve a
given JWKS, count JWKS fetches, record scores and line items, offer LTI platform storage, and serve an
outer "course page" that embeds the tool in an iframe (browser tests).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from lti import claims as c
from lti.demo.emulator import PlatformEmulator
from lti.demo.keyring import KeyRing
from lti.demo.users import DEMO_USERS, INSTRUCTOR, LEARNER, EmulatedUser

MOODLE_AGENT = EmulatedUser(
    "4", "agent1", "Agent", "Number1", "agent1@example.com", (LEARNER,), "AG-001", "Moodle sample learner"
)
TEST_USERS = (MOODLE_AGENT, *DEMO_USERS)
REMOVE = object()  # claim_overrides value that deletes the claim

STORAGE_FRAME_JS = """
window.addEventListener("message", function (event) {
  var m = event.data;
  if (!m || typeof m !== "object" || !m.subject) { return; }
  var reply = {message_id: m.message_id, key: m.key};
  if (m.subject === "lti.put_data") {
    localStorage.setItem("lti_" + m.key, m.value);
    reply.subject = "lti.put_data.response"; reply.value = m.value;
  } else if (m.subject === "lti.get_data") {
    reply.subject = "lti.get_data.response"; reply.value = localStorage.getItem("lti_" + m.key);
  } else { return; }
  event.source.postMessage(reply, event.origin);
});
"""


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    forms = 0
    inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms += 1
            self.inside = self.forms == 1
            if self.inside:
                self.action = values.get("action", "")
        if tag == "input" and self.inside and values.get("name"):
            if values.get("type") == "radio" and "checked" not in values and values["name"] in self.fields:
                return
            self.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def parse_form(html: str) -> tuple[str, dict[str, str]]:
    """The action and the fields of the first form of the page (checked radio buttons only)."""
    parser = _FormParser()
    parser.feed(html)
    return parser.action, parser.fields


class _DataParser(HTMLParser):
    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.data: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if values.get("id") == self.element_id:
            self.data = {k.removeprefix("data-"): v for k, v in values.items() if k.startswith("data-")}


def data_attributes(html: str, element_id: str) -> dict[str, str]:
    """The data-* attributes (unescaped) of the element with this id."""
    parser = _DataParser(element_id)
    parser.feed(html)
    return parser.data


@dataclass(frozen=True)
class LoginTicket:
    state: str
    nonce: str
    location: str


class TestPlatform(PlatformEmulator):
    """Start with ``with TestPlatform(tool_base_url) as platform:``; ``platform.server_url`` is its root."""

    __test__ = False

    def __init__(
        self,
        tool_base_url: str,
        *,
        client_id: str = "cH8DYLoAXmmdZq1",
        deployment_id: str = "1",
        tool_jwks: Callable[[], dict[str, Any]] | None = None,
        auth_host: str = "127.0.0.1",
    ) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.port = self._server.server_port
        self.server_url = f"http://127.0.0.1:{self.port}"
        self.tool_base_url = tool_base_url.rstrip("/")
        super().__init__(
            root_url=self.server_url,
            client_id=client_id,
            deployment_id=deployment_id,
            tool_login_url=self.tool_base_url + "/lti/login",
            tool_launch_url=self.tool_base_url + "/lti/launch",
            tool_jwks=tool_jwks or self._fetch_tool_jwks,
            keyring=KeyRing.generate(),
            users=TEST_USERS,
        )
        # The authorization endpoint may be announced on another host name (browser tests: "localhost").
        self.auth_root = f"http://{auth_host}:{self.port}"
        self.claim_overrides: dict[str, Any] = {}
        self.sign_kid: str | None = None
        self.header_overrides: dict[str, Any] = {}
        self.jwks_override: dict[str, Any] | None = None
        self.storage_target: str | None = None
        self.tool_jwks_fetches = 0
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    # -- lifecycle --------------------------------------------------------------------------------
    def __enter__(self) -> TestPlatform:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def auth_url(self) -> str:
        return self.auth_root + "/mod/lti/auth.php"

    def registration(self) -> dict[str, str]:
        """The values an admin would type into `flask lti platform-add`."""
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "auth_login_url": self.auth_url,
            "auth_token_url": self.token_url,
            "key_set_url": self.jwks_url,
        }

    # -- knobs --------------------------------------------------------------------------------------
    def finish_claims(self, claims: dict[str, Any]) -> dict[str, Any]:
        for name, value in self.claim_overrides.items():
            if value is REMOVE:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def sign_id_token(self, claims: dict[str, Any]) -> str:
        return self.keyring.sign(claims, kid=self.sign_kid, headers=self.header_overrides)

    def published_jwks(self) -> dict[str, Any]:
        return self.jwks_override if self.jwks_override is not None else self.keyring.jwks()

    def rotate_keys(self, *, keep_old: bool = False) -> str:
        old = self.keyring.active_kid
        kid = self.keyring.add_key()
        if not keep_old:
            self.keyring.remove(old)
        return kid

    def _fetch_tool_jwks(self) -> dict[str, Any]:
        self.tool_jwks_fetches += 1
        response = requests.get(self.tool_base_url + "/lti/jwks", timeout=5)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def login_initiation(
        self, sub: str, *, message_type: str = c.RESOURCE_LINK_REQUEST, **extra: str
    ) -> dict[str, str]:
        fields = super().login_initiation(sub, message_type=message_type, **extra)
        if self.storage_target:
            fields["lti_storage_target"] = self.storage_target
        return fields

    # -- protocol helpers for tests without a browser ---------------------------------------------
    def start_login(self, http: requests.Session, sub: str = "4", **extra: str) -> LoginTicket:
        """Step 1-2 against the tool: POST the initiation, read state and nonce from the redirect."""
        response = http.post(
            self.tool_login_url, data=self.login_initiation(sub, **extra), allow_redirects=False, timeout=10
        )
        assert response.status_code == 302, response.text[:500]
        location = response.headers["Location"]
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        return LoginTicket(state=query["state"], nonce=query["nonce"], location=location)

    def id_token(self, sub: str, nonce: str, *, message_type: str = c.RESOURCE_LINK_REQUEST) -> str:
        claims = self.finish_claims(self.claims_for(self.users[sub], nonce, message_type))
        return self.sign_id_token(claims)

    def launch(self, http: requests.Session, sub: str = "4", **extra: str) -> requests.Response:
        """The whole flow over HTTP, as a browser does: initiation, authorization, form_post."""
        ticket = self.start_login(http, sub, **extra)
        auth = http.get(ticket.location, timeout=10)
        assert auth.status_code == 200, auth.text[:500]
        action, fields = parse_form(auth.text)
        return http.post(action, data=fields, timeout=10)

    # -- HTTP -----------------------------------------------------------------------------------------
    def _wsgi(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/course":
            response = self._course_page(request)
        elif request.path == "/storage-frame":
            response = Response(
                f'<!doctype html><html><body><script src="{self.auth_root}/storage.js"></script>'
                "</body></html>",
                mimetype="text/html",
            )
        elif request.path == "/storage.js":
            response = Response(STORAGE_FRAME_JS, mimetype="text/javascript")
        elif request.path == "/launch":
            response = self._launch_page(request)
        elif request.path == "/probe-cookie":
            # A cookie that only third-party cookies allow inside a cross-site iframe (not partitioned).
            response = Response('<p id="probe">set</p>', mimetype="text/html")
            response.headers.add("Set-Cookie", "probe_third_party=1; Path=/; SameSite=None; Secure")
        else:
            response = self.handle(request)
        return response(environ, start_response)

    def _launch_page(self, request: Request) -> Response:
        """Moodle's launch.php: an auto-posted login initiation form (inside the course iframe)."""
        fields = self.login_initiation(request.args.get("sub", "4"))
        return self.autopost(self.tool_login_url, fields)

    def _course_page(self, request: Request) -> Response:
        """The course page on the LMS origin, embedding the activity (and the storage frame) in iframes."""
        sub = escape(request.args.get("sub", "4"))
        frames = f'<iframe id="tool" name="tool" title="Activité" src="{self.auth_root}/launch?sub={sub}" '
        frames += 'width="1000" height="800"></iframe>'
        if self.storage_target:
            frames += (
                f'<iframe name="{escape(self.storage_target)}" src="{self.auth_root}/storage-frame" '
                'title="stockage" width="1" height="1"></iframe>'
            )
        head = '<!doctype html><html lang="fr"><head><title>Cours</title></head>'
        html = f"{head}<body><h1>Cours</h1>{frames}</body></html>"
        return Response(html, mimetype="text/html")

    def scores(self) -> list[dict[str, Any]]:
        return list(self.gradebook.scores)


def decode_json(response: requests.Response) -> Any:
    return json.loads(response.text)


__all__ = [
    "INSTRUCTOR",
    "MOODLE_AGENT",
    "REMOVE",
    "LoginTicket",
    "TestPlatform",
    "data_attributes",
    "parse_form",
]
