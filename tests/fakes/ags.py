"""A tiny LTI AGS score endpoint over real HTTP: records the scores it accepts, fails on demand."""

from __future__ import annotations

import json
import threading
from collections import deque
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"


class FakeAgs:
    def __init__(self) -> None:
        self.scores: list[dict[str, Any]] = []
        self.failures: deque[int] = deque()
        self.requests = 0
        self._lock = threading.Lock()
        self._server: Any = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FakeAgs:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, *statuses: int) -> None:
        self.failures.extend(statuses)

    def lineitem(self, n: int) -> str:
        return f"{self.url}/lineitems/{n}"

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.requests += 1
            status = self.failures.popleft() if self.failures else None
        if status is not None:
            response = Response("failure", status)
        elif request.method != "POST" or not request.path.endswith("/scores"):
            response = Response("not found", 404)
        elif request.content_type != SCORE_TYPE or not request.headers.get("Authorization", "").startswith(
            "Bearer "
        ):
            response = Response("bad request", 400)
        else:
            with self._lock:
                self.scores.append({"path": request.path, **json.loads(request.get_data(as_text=True))})
            response = Response("", 204)
        return response(environ, start_response)
