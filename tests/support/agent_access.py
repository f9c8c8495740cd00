"""The learner session as tests provide it, until bridge.auth.launch_session lands.

Test-only: the agent is named by the ``X-Test-Agent`` header (no header: 401), which the test client
or Playwright sends with every request; URLs are plain url_for and forms carry no launch token.
"""

from __future__ import annotations

from functools import wraps
from types import SimpleNamespace
from typing import Any

from flask import Flask, g, request, url_for
from markupsafe import Markup

from bridge.core.errors import UserFacingError
from bridge.recommendations.views import AgentAccess, View, create_blueprint

HEADER = "X-Test-Agent"


def _require_agent(view: View) -> View:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        agent_id = request.headers.get(HEADER, "")
        if not agent_id.isdigit():
            raise UserFacingError(
                401, "launch_required", "Ouvrez PACNum depuis votre plateforme de formation."
            )
        g.launch = SimpleNamespace(agent_id=int(agent_id))
        return view(*args, **kwargs)

    return wrapped


def _agent_url(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, **values)


TEST_ACCESS = AgentAccess(
    require_agent=_require_agent, agent_url=_agent_url, agent_token_field=lambda: Markup("")
)


def register(app: Flask) -> None:
    app.register_blueprint(create_blueprint(TEST_ACCESS))
