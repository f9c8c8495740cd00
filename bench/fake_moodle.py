"""The fake Moodle as a separate process for benchmarks (so the job's memory is measured alone).

`python -m bench.fake_moodle --users 130000 --courses 60 --latency 0.02` prints its URL on the first line,
then serves until killed. Control endpoints (bench only): GET /_control/stats, POST /_control/nightly
(a fraction of the enrolled users open their course now; some of them complete it).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fakes.moodle import FakeMoodle

TOKEN = "BENCHTOKEN"  # noqa: S105 - a token of the fake


class BenchMoodle(FakeMoodle):
    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if not request.path.startswith("/_control/"):
            return super().wsgi(environ, start_response)
        if request.path == "/_control/stats":
            with self.lock:
                sends = self.state.enrol_sends
                body = {
                    "requests": self.requests,
                    "calls": dict(self.calls),
                    "enrolments": len(self.state.enrolments),
                    "max_sends": max(sends.values(), default=0),
                    "completions": len(self.state.completions),
                }
        elif request.path == "/_control/reset":
            self.reset_counters()
            body = {"ok": True}
        elif request.path == "/_control/nightly":
            fraction = float(request.args.get("fraction", "0.1"))
            completed = float(request.args.get("completed", "0.5"))
            rng = random.Random(42)
            now = int(time.time())
            changed = done = 0
            users: set[int] = set()
            with self.lock:
                for userid, courseid, _ in sorted(self.state.enrolments):
                    if rng.random() < fraction:
                        self.state.lastcourseaccess[(userid, courseid)] = now
                        changed += 1
                        users.add(userid)
                        if rng.random() < completed:
                            self.state.completions[(userid, courseid)] = now
                            done += 1
            body = {"changed": changed, "completed": done, "changed_users": len(users)}
        else:
            return Response("not found", 404)(environ, start_response)
        return Response(json.dumps(body), 200, content_type="application/json")(environ, start_response)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=130_000)
    parser.add_argument("--courses", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.02)
    args = parser.parse_args()
    site = BenchMoodle()
    site.add_token(TOKEN)
    site.seed_bulk(users=args.users, courses=args.courses, enrolments=0)
    site.latency = args.latency
    site.start()
    sys.stdout.write(site.url + "\n")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        site.stop()


if __name__ == "__main__":
    main()
