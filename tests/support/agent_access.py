"""Signing in as an agent in tests, with a real signed launch token (bridge.auth.launch_session).

``token_for(app, agent_id)`` returns the token a launch would give. For test-client requests, pass
``headers={HEADER: str(agent_id)}``: the client installed by ``install(app)`` turns that test-only
header into the ``t`` parameter (query string for GET, form field for POST), exactly as the agent's
pages carry it; the header itself never reaches the app.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from bridge.auth.launch_session import LaunchSession, issue_token

HEADER = "X-Test-Agent"


def token_for(app: Flask, agent_id: int, *, role: str = "learner") -> str:
    with app.test_request_context():
        return issue_token(LaunchSession(agent_id=agent_id, role=role, platform_id=0, deployment_id="test"))


class AgentTokenClient(FlaskClient):
    def open(self, *args: Any, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", None) or {})
        agent = headers.pop(HEADER, None)
        if agent is not None and args and isinstance(args[0], str):
            token = token_for(self.application, int(agent))
            if kwargs.get("method", "GET").upper() == "POST":
                data = dict(kwargs.pop("data", None) or {})
                data["t"] = token
                kwargs["data"] = data
            else:
                path = args[0]
                args = (f"{path}{'&' if '?' in path else '?'}t={token}", *args[1:])
        if headers:
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


def install(app: Flask) -> None:
    app.test_client_class = AgentTokenClient
