"""The fake Moodle: a werkzeug WSGI app on 127.0.0.1 in a background thread, with fault injection."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.fakes.moodle.catalogue import ACCESS_DEBUGINFO, FUNCTIONS
from tests.fakes.moodle.context import Ctx
from tests.fakes.moodle.seeding import SeedingMixin
from tests.fakes.moodle.state import MoodleState
from tests.fakes.moodle.validation import WsError, missing_record, moodle_exception, validate
from tests.fakes.moodle.wire import parse_php_form, php_json, rest_xml, rest_xml_error

REST_PATH = "/webservice/rest/server.php"
HTML_500 = (
    "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Internal Server Error</h1></body></html>"
)
HTML_503 = (
    "<!DOCTYPE html><html><head><title>Site upgrade in progress</title></head>"
    "<body><h1>This site is being upgraded</h1></body></html>"
)
HTML_200 = "<!DOCTYPE html><html><body><p>Exception - Call to a member function on null</p></body></html>"


@dataclass
class Fault:
    kind: str  # "500", "503", "timeout", "html200", "maintenance"
    retry_after: str | None = None
    delay: float = 0.0


class FakeMoodle(SeedingMixin):
    """Protocol-faithful fake of Moodle 4.5.6 REST web services, seeded through SeedingMixin."""

    def __init__(self, *, debug: bool = True, max_input_vars: int = 5000) -> None:
        self.state = MoodleState()
        self.lock = threading.RLock()
        self.debug = debug
        self.max_input_vars = max_input_vars
        self.latency = 0.0
        self.maintenance = False
        self.calls: Counter[str] = Counter()
        self.requests = 0
        self.concurrent = 0
        self.max_concurrent = 0
        self.faults: deque[Fault | None] = deque()  # None: a request served normally
        self._count_lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.seed_site()

    # -- server lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeMoodle:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-moodle", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeMoodle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- fault injection --------------------------------------------------------------------------
    def fail_next(
        self, n: int, kind: str, *, retry_after: str | None = None, delay: float = 1.0, after: int = 0
    ) -> None:
        """The next ``n`` web-service requests (after ``after`` normal ones) fail with ``kind``: "500",
        "503" (HTML, Retry-After), "timeout" (sleeps ``delay`` s, then carries out the call and answers),
        "html200", "maintenance" (sitemaintenance)."""
        if kind not in ("500", "503", "timeout", "html200", "maintenance"):
            raise ValueError(kind)
        with self._count_lock:
            self.faults.extend([None] * after)
            self.faults.extend(Fault(kind, retry_after, delay) for _ in range(n))

    def revoke_token(self, token: str, *, from_call: int | None = 1) -> None:
        """The token answers invalidtoken from the ``from_call``-th request (1-based, all functions) on;
        ``None`` gives it back its access."""
        with self.lock:
            self.state.tokens[token].revoked_from_call = from_call

    def reset_counters(self) -> None:
        with self._count_lock:
            self.calls.clear()
            self.requests = self.concurrent = self.max_concurrent = 0

    # -- WSGI -------------------------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._dispatch(request) if request.path == REST_PATH else Response("Not found", 404)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        body = request.get_data(as_text=True)
        form = parse_php_form(body, self.max_input_vars)
        for key, value in request.args.items():
            form.setdefault(key, value)
        function = str(form.pop("wsfunction", ""))
        with self._count_lock:
            self.requests += 1
            number = self.requests
            self.calls[function] += 1
            self.concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self.concurrent)
            fault = self.faults.popleft() if self.faults else None
        try:
            if self.latency:
                time.sleep(self.latency)
            if fault is not None and fault.kind != "maintenance":
                early = self._fault_response(fault)
                if early is not None:
                    return early
            fmt = str(form.pop("moodlewsrestformat", "xml"))
            try:
                if self.maintenance or (fault is not None and fault.kind == "maintenance"):
                    raise moodle_exception(
                        "sitemaintenance", "The site is undergoing maintenance and is currently not available"
                    )
                value = self._run(str(form.pop("wstoken", "")), function, form, number)
            except WsError as exc:
                return self._render(fmt, exc.payload(self.debug), error=True)
            return self._render(fmt, value)
        finally:
            with self._count_lock:
                self.concurrent -= 1

    def _fault_response(self, fault: Fault) -> Response | None:
        if fault.kind == "500":
            return Response(HTML_500, 500, content_type="text/html; charset=utf-8")
        if fault.kind == "503":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return Response(HTML_503, 503, headers=headers, content_type="text/html; charset=utf-8")
        if fault.kind == "html200":
            return Response(HTML_200, 200, content_type="text/html; charset=utf-8")
        time.sleep(fault.delay)  # "timeout": answer late, normally
        return None

    def _run(self, token: str, function: str, params: dict[str, Any], number: int) -> Any:
        with self.lock:
            info = self.state.tokens.get(token)
            revoked = (
                info is not None and info.revoked_from_call is not None and number >= info.revoked_from_call
            )
            if info is None or revoked:
                raise moodle_exception("invalidtoken", "Invalid token - token not found")
            spec = FUNCTIONS.get(function)
            if spec is None:
                raise missing_record("external_functions", "name", function)
            names = (
                list(FUNCTIONS) if info.functions is None else [n for n in info.functions if n in FUNCTIONS]
            )
            allowed = [(n, FUNCTIONS[n].version) for n in names]
            if function not in dict(allowed):
                raise WsError(
                    "webservice_access_exception",
                    "accessexception",
                    "Access control exception",
                    ACCESS_DEBUGINFO.format(name=function),
                )
            if spec.handler is None:
                raise moodle_exception("notimplemented", f"{function} is not simulated by the fake Moodle")
            clean = validate(spec.params, params)
            ctx = Ctx(self.state, self.url, info.userid, int(time.time()), allowed)
            return spec.handler(ctx, clean)

    def _render(self, fmt: str, value: Any, *, error: bool = False) -> Response:
        if fmt == "json":
            return Response(php_json(value), 200, content_type="application/json")
        text = rest_xml_error(value) if error else rest_xml(value)
        return Response(text, 200, content_type="application/xml; charset=utf-8")
