"""Serve a WSGI app over real HTTP on 127.0.0.1 in a background thread."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


class LiveServer:
    """The port is bound at construction, so an app can be built knowing its own URL, then attached."""

    def __init__(self, wsgi_app: Any = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = wsgi_app
        self._server: BaseWSGIServer = make_server(host, port, self._dispatch, threaded=True)
        self.host = host
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="live-server", daemon=True
        )

    def _dispatch(self, environ: Any, start_response: Any) -> Any:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no app attached"]
        return self.app(environ, start_response)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
