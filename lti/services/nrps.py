"""Names and Role Provisioning Service: the members of a context, page by page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lti import claims as c
from lti.services.errors import ServiceResponseError
from lti.services.http import ServiceClient

_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_REL = re.compile(r'rel\s*=\s*"?([^";]+)"?', re.IGNORECASE)
MAX_PAGES = 10_000


def next_page_url(link_header: str) -> str | None:
    """The ``rel="next"`` target of a Link header; rel matched case-insensitively, URL kept intact."""
    for match in _LINK.finditer(link_header or ""):
        rel = _REL.search(match.group(2) or "")
        if rel and "next" in rel.group(1).lower().split():
            return match.group(1).strip()
    return None


@dataclass(frozen=True)
class Member:
    user_id: str
    roles: tuple[str, ...]
    status: str = "Active"
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    lis_person_sourcedid: str = ""

    @classmethod
    def from_json(cls, data: Any) -> Member:
        if not isinstance(data, dict) or not isinstance(data.get("user_id"), str | int):
            raise ServiceResponseError("member without user_id")
        roles = data.get("roles")
        return cls(
            user_id=str(data["user_id"]),
            roles=tuple(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else (),
            status=str(data.get("status") or "Active"),
            name=str(data.get("name") or ""),
            given_name=str(data.get("given_name") or ""),
            family_name=str(data.get("family_name") or ""),
            email=str(data.get("email") or ""),
            lis_person_sourcedid=str(data.get("lis_person_sourcedid") or ""),
        )


class NrpsClient:
    def __init__(self, client: ServiceClient) -> None:
        self._client = client

    def members(self, context_memberships_url: str) -> Iterator[Member]:
        url: str | None = context_memberships_url
        pages = 0
        while url and pages < MAX_PAGES:
            response = self._client.request("GET", url, scopes=[c.SCOPE_NRPS], accept=c.MEDIA_MEMBERSHIPS)
            pages += 1
            data = self._client.json(response)
            if not isinstance(data, dict) or not isinstance(data.get("members"), list):
                raise ServiceResponseError("membership container without members")
            for item in data["members"]:
                yield Member.from_json(item)
            url = next_page_url(response.headers.get("Link", ""))
