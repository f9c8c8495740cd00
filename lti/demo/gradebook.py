"""The emulated course's gradebook (AGS line items and scores) and roster (NRPS), Moodle-shaped.

Line item URLs carry ``?type_id=1`` like Moodle's; scores go to ``.../lineitem/scores?type_id=1``.
Members are served in pages linked by a ``Link: <...>; rel="next"`` header.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from lti import claims as c

if TYPE_CHECKING:  # the emulator owns its gradebook; only the type is needed here
    from lti.demo.emulator import PlatformEmulator

_LINEITEMS = re.compile(r"^/(?P<course>[^/]+)/lineitems$")
_LINEITEM = re.compile(r"^/(?P<course>[^/]+)/lineitems/(?P<n>\d+)/lineitem$")
_SCORES = re.compile(r"^/(?P<course>[^/]+)/lineitems/(?P<n>\d+)/lineitem/scores$")
_MEMBERS = re.compile(r"^/CourseSection/(?P<course>[^/]+)/bindings/(?P<binding>[^/]+)/memberships$")


class Gradebook:
    def __init__(self, platform: PlatformEmulator) -> None:
        self.platform = platform
        self.items: dict[str, dict[str, Any]] = {}
        self.scores: list[dict[str, Any]] = []
        self.score_requests: list[str] = []  # full URLs (path and query) the scores were posted to
        self.page_size = 50
        self.link_header_name = "Link"

    def _item_url(self, n: str) -> str:
        return self.platform.url(
            f"/mod/lti/services.php/{self.platform.course_id}/lineitems/{n}/lineitem?type_id=1"
        )

    def ensure_line_item(self, n: str, label: str, **extra: Any) -> dict[str, Any]:
        with self.platform.lock:
            item = self.items.get(n)
            if item is None:
                item = {"_n": n, "id": self._item_url(n), "label": label, "scoreMaximum": 100, **extra}
                self.items[n] = item
            return item

    def public(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if not k.startswith("_")}

    def latest_scores(self) -> list[dict[str, Any]]:
        """The last score per (line item, user), as the gradebook shows it."""
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        with self.platform.lock:
            for score in self.scores:
                latest[(score["lineitem"], score["userId"])] = score
        return list(latest.values())

    def handle(self, request: Request, path: str) -> Response:
        if match := _SCORES.match(path):
            self.platform.check_bearer(request, c.SCOPE_SCORE)
            return self._post_score(request, match["n"])
        if match := _LINEITEM.match(path):
            self.platform.check_bearer(request, c.SCOPE_LINEITEM)
            item = self.items.get(match["n"])
            if item is None:
                return Response("no such line item", status=404)
            return self._json(self.public(item), c.MEDIA_LINEITEM)
        if _LINEITEMS.match(path):
            self.platform.check_bearer(request, c.SCOPE_LINEITEM)
            if request.method == "POST":
                return self._create(request)
            wanted = request.args.get("resource_link_id")
            tag = request.args.get("tag")
            items = [
                self.public(i)
                for i in self.items.values()
                if (not wanted or i.get("resourceLinkId") == wanted) and (not tag or i.get("tag") == tag)
            ]
            return self._json(items, c.MEDIA_LINEITEMS)
        if _MEMBERS.match(path):
            self.platform.check_bearer(request, c.SCOPE_NRPS)
            return self._members(request)
        return Response("not found", status=404)

    def _create(self, request: Request) -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or "label" not in body or "scoreMaximum" not in body:
            return Response("label and scoreMaximum are required", status=400)
        with self.platform.lock:
            n = str(len(self.items) + 1)
        item = self.ensure_line_item(n, str(body["label"]), **{k: v for k, v in body.items() if k != "label"})
        return self._json(self.public(item), c.MEDIA_LINEITEM, status=201)

    def _post_score(self, request: Request, n: str) -> Response:
        if n not in self.items:
            return Response("no such line item", status=404)
        if request.mimetype != c.MEDIA_SCORE:
            return Response("score content type expected", status=415)
        body = request.get_json(silent=True)
        required = (
            "userId",
            "scoreGiven",
            "scoreMaximum",
            "activityProgress",
            "gradingProgress",
            "timestamp",
        )
        if not isinstance(body, dict) or any(k not in body for k in required):
            return Response("incomplete score", status=400)
        with self.platform.lock:
            self.scores.append({**body, "lineitem": self.items[n]["id"]})
            self.score_requests.append(request.full_path if request.query_string else request.path)
        return Response("", status=204)

    def _members(self, request: Request) -> Response:
        users = list(self.platform.users.values())
        token = request.args.get("PageToken", "")
        page = 0
        if token:
            found = re.fullmatch(r"PaGe(\d+)XyZ", token)  # mixed case on purpose: clients must not alter it
            if found is None:
                return Response("unknown page token", status=400)
            page = int(found.group(1))
        start = page * self.page_size
        chunk = users[start : start + self.page_size]
        body = {
            "id": request.base_url,
            "context": {"id": self.platform.course_id, "label": self.platform.course_label},
            "members": [
                {
                    "status": "Active",
                    "name": u.name,
                    "given_name": u.given_name,
                    "family_name": u.family_name,
                    "email": u.email,
                    "user_id": u.sub,
                    "lis_person_sourcedid": u.person_sourcedid,
                    "roles": list(u.roles),
                }
                for u in chunk
            ],
        }
        response = self._json(body, c.MEDIA_MEMBERSHIPS)
        if start + self.page_size < len(users):
            next_url = f"{request.base_url}?PageToken=PaGe{page + 1}XyZ"
            response.headers[self.link_header_name] = f'<{next_url}>; rel="next"'
        return response

    @staticmethod
    def _json(data: Any, mimetype: str, status: int = 200) -> Response:
        return Response(json.dumps(data), status=status, mimetype=mimetype)
