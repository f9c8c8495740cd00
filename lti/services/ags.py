"""Assignment and Grade Services: line items (find or create) and scores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lti import claims as c
from lti.services.errors import ServiceResponseError
from lti.services.http import ServiceClient

ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")


@dataclass(frozen=True)
class LineItem:
    id: str
    label: str
    score_maximum: float
    resource_id: str = ""
    resource_link_id: str = ""
    tag: str = ""

    @classmethod
    def from_json(cls, data: Any) -> LineItem:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise ServiceResponseError("line item without id")
        try:
            maximum = float(data.get("scoreMaximum", 0))
        except (TypeError, ValueError) as exc:
            raise ServiceResponseError("line item with a non-numeric scoreMaximum") from exc
        return cls(
            id=data["id"],
            label=str(data.get("label") or ""),
            score_maximum=maximum,
            resource_id=str(data.get("resourceId") or ""),
            resource_link_id=str(data.get("resourceLinkId") or ""),
            tag=str(data.get("tag") or ""),
        )


@dataclass(frozen=True)
class Score:
    user_id: str
    score_given: float
    score_maximum: float
    comment: str = ""
    activity_progress: str = "Completed"
    grading_progress: str = "FullyGraded"
    timestamp: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        if self.activity_progress not in ACTIVITY_PROGRESS or self.grading_progress not in GRADING_PROGRESS:
            raise ValueError("unknown activityProgress or gradingProgress")
        when = (self.timestamp or datetime.now(UTC)).astimezone(UTC)
        body: dict[str, Any] = {
            "userId": self.user_id,
            "scoreGiven": self.score_given,
            "scoreMaximum": self.score_maximum,
            "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress,
            "timestamp": when.isoformat(timespec="milliseconds"),
        }
        if self.comment:
            body["comment"] = self.comment
        return body


def service_url(base: str, suffix: str) -> str:
    """``suffix`` appended to the path, before the query string: Moodle's URLs carry ``?type_id=N``."""
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


class AgsClient:
    def __init__(self, client: ServiceClient) -> None:
        self._client = client

    def line_items(self, lineitems_url: str, *, resource_link_id: str = "", tag: str = "") -> list[LineItem]:
        filters = {k: v for k, v in (("resource_link_id", resource_link_id), ("tag", tag)) if v}
        response = self._client.request(
            "GET",
            with_query(lineitems_url, **filters) if filters else lineitems_url,
            scopes=[c.SCOPE_LINEITEM],
            accept=c.MEDIA_LINEITEMS,
        )
        data = self._client.json(response)
        if not isinstance(data, list):
            raise ServiceResponseError("line items container is not a JSON array")
        return [LineItem.from_json(item) for item in data]

    def create_line_item(
        self,
        lineitems_url: str,
        *,
        label: str,
        score_maximum: float,
        resource_link_id: str = "",
        resource_id: str = "",
        tag: str = "",
    ) -> LineItem:
        body: dict[str, Any] = {"label": label, "scoreMaximum": score_maximum}
        for key, value in (("resourceLinkId", resource_link_id), ("resourceId", resource_id), ("tag", tag)):
            if value:
                body[key] = value
        response = self._client.request(
            "POST",
            lineitems_url,
            scopes=[c.SCOPE_LINEITEM],
            accept=c.MEDIA_LINEITEM,
            json_body=body,
            content_type=c.MEDIA_LINEITEM,
        )
        return LineItem.from_json(self._client.json(response))

    def find_or_create_line_item(
        self,
        lineitems_url: str,
        *,
        label: str,
        score_maximum: float,
        resource_link_id: str = "",
        resource_id: str = "",
        tag: str = "",
    ) -> LineItem:
        for item in self.line_items(lineitems_url, resource_link_id=resource_link_id, tag=tag):
            if (not resource_link_id or item.resource_link_id in ("", resource_link_id)) and (
                not tag or item.tag == tag
            ):
                return item
        return self.create_line_item(
            lineitems_url,
            label=label,
            score_maximum=score_maximum,
            resource_link_id=resource_link_id,
            resource_id=resource_id,
            tag=tag,
        )

    def post_score(self, lineitem_url: str, score: Score) -> None:
        self._client.request(
            "POST",
            service_url(lineitem_url, "/scores"),
            scopes=[c.SCOPE_SCORE],
            accept="application/json",
            json_body=score.to_json(),
            content_type=c.MEDIA_SCORE,
        )
