"""A platform answering LTI Dynamic Registration like Moodle 4.5 (openid-configuration.php and
openid-registration.php, see moodle-samples/lti/openid_configuration.json and dynamic_registration.json),
over real HTTP, with failure modes, and hostile ones (redirects, endpoints on another host). It records
every request it receives (``seen``), so a test can prove the tool sent none."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "moodle-samples" / "lti"
SAMPLE_ISSUER = "http://127.0.0.1:8080"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


def _sample_configuration() -> dict[str, Any]:
    path = SAMPLES / "openid_configuration.json"
    if path.exists():
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    # The shape of the sample, for checkouts without the shared references.
    return {
        "issuer": SAMPLE_ISSUER,
        "token_endpoint": SAMPLE_ISSUER + "/mod/lti/token.php",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "jwks_uri": SAMPLE_ISSUER + "/mod/lti/certs.php",
        "authorization_endpoint": SAMPLE_ISSUER + "/mod/lti/auth.php",
        "registration_endpoint": SAMPLE_ISSUER + "/mod/lti/openid-registration.php",
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
            "product_family_code": "moodle",
            "version": "4.5.6 (Build: 20250811)",
            "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}],
        },
    }


MODES = (
    "ok",
    "refuse",
    "not_json",
    "issuer_mismatch",
    "no_client_id",
    "config_500",
    # Hostile: would succeed if the tool followed redirects or called the other host.
    "config_redirect",
    "registration_redirect",
    "registration_elsewhere",
    "jwks_elsewhere",
)
ELSEWHERE = "/elsewhere"


class FakeRegistrationPlatform:
    """``mode``: one of MODES. ``*_redirect``: the answer is a redirect to a twin path (under /elsewhere)
    that answers correctly; ``*_elsewhere``: the configuration names ``localhost`` instead of 127.0.0.1
    for that endpoint (the same server, so following it would work). ``hold``: when set, the configuration
    is answered only once the event is set (``holding`` is set while a request waits)."""

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self.mode = "ok"
        self.token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.registration-token.signature"
        self.client_id = "A7cm0px91r54xPo"
        self.deployment_id = "2"
        self.requests: list[dict[str, Any]] = []  # registration POSTs
        self.seen: list[str] = []  # "METHOD /path" of every request
        self.hold: threading.Event | None = None
        self.holding = threading.Event()

    def __enter__(self) -> FakeRegistrationPlatform:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def configuration_url(self) -> str:
        return self.url + "/mod/lti/openid-configuration.php"

    def configuration(self) -> dict[str, Any]:
        text = json.dumps(_sample_configuration()).replace(SAMPLE_ISSUER, self.url)
        data: dict[str, Any] = json.loads(text)
        if self.mode == "issuer_mismatch":
            data["issuer"] = "https://moodle.elsewhere.example"
        other_host = self.url.replace("127.0.0.1", "localhost")
        if self.mode == "registration_elsewhere":
            data["registration_endpoint"] = other_host + "/mod/lti/openid-registration.php"
        if self.mode == "jwks_elsewhere":
            data["jwks_uri"] = other_host + "/mod/lti/certs.php"
        return data

    def _wsgi(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        self.seen.append(f"{request.method} {request.path}")
        path = request.path
        if path == "/mod/lti/openid-configuration.php" and self.mode == "config_redirect":
            response = Response("", status=302, headers={"Location": ELSEWHERE + path})
        elif path == "/mod/lti/openid-registration.php" and self.mode == "registration_redirect":
            response = Response("", status=307, headers={"Location": ELSEWHERE + path})
        elif path.removeprefix(ELSEWHERE) == "/mod/lti/openid-configuration.php":
            response = self._configuration()
        elif path.removeprefix(ELSEWHERE) == "/mod/lti/openid-registration.php" and request.method == "POST":
            response = self._register(request)
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def _configuration(self) -> Response:
        if self.hold is not None:
            self.holding.set()
            self.hold.wait(timeout=20)
        if self.mode == "config_500":
            return Response("<h1>Error</h1>", status=500, mimetype="text/html")
        if self.mode == "not_json":
            return Response("<html>Moodle is being upgraded</html>", mimetype="text/html")
        return Response(json.dumps(self.configuration()), mimetype="application/json")

    def _register(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        self.requests.append({"headers": dict(request.headers), "body": body})
        if request.headers.get("Authorization") != "Bearer " + self.token:
            return Response(json.dumps({"error": "Invalid registration token"}), status=401)
        if self.mode == "refuse":
            return Response(json.dumps({"error": "Tool already registered with this domain"}), status=400)
        if not isinstance(body, dict):
            return Response(json.dumps({"error": "Invalid JSON"}), status=400)
        if self.mode == "no_client_id":
            return Response(json.dumps({"response_types": ["id_token"]}), mimetype="application/json")
        tool = body.get(TOOL_CONFIGURATION, {})
        # Moodle echoes the registration, adds the client id and the deployment (tool type) id.
        answer = {
            "client_id": self.client_id,
            "response_types": body.get("response_types"),
            "jwks_uri": body.get("jwks_uri"),
            "initiate_login_uri": body.get("initiate_login_uri"),
            "grant_types": ["client_credentials", "implicit"],
            "redirect_uris": body.get("redirect_uris"),
            "application_type": "web",
            "token_endpoint_auth_method": "private_key_jwt",
            "client_name": body.get("client_name"),
            "logo_uri": body.get("logo_uri", ""),
            "scope": body.get("scope"),
            TOOL_CONFIGURATION: {
                "version": "1.3.0",
                "deployment_id": self.deployment_id,
                "target_link_uri": tool.get("target_link_uri"),
                "domain": tool.get("domain"),
                "description": tool.get("description", ""),
                "messages": [m for m in tool.get("messages", []) if m.get("type") == "LtiDeepLinkingRequest"],
                "claims": tool.get("claims"),
            },
        }
        return Response(json.dumps(answer), mimetype="application/json")
