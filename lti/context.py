"""The typed result of a validated launch, handed to the application's handler.

The application never reads raw claims: everything it may use is here, typed and normalised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flask.typing import ResponseReturnValue

from lti import claims as c


class Role(StrEnum):
    LEARNER = "learner"
    INSTRUCTOR = "instructor"
    ADMINISTRATOR = "administrator"


_ADMIN_VOCABULARIES = ("institution/person", "system/person", "membership")
_INSTRUCTOR_NAMES = frozenset({"Instructor", "ContentDeveloper", "TeachingAssistant"})


def map_roles(uris: object) -> frozenset[Role]:
    """LIS role URIs -> {learner, instructor, administrator}. Unknown or absent roles make a learner."""
    roles: set[Role] = set()
    for uri in uris if isinstance(uris, list) else []:
        if not isinstance(uri, str):
            continue
        base, _, name = uri.partition("#")
        vocabulary = base.removeprefix(c.LIS_VOCABULARY) if base.startswith(c.LIS_VOCABULARY) else ""
        if not name:  # short form allowed by LTI 1.3 ("Instructor")
            name, vocabulary = base, "membership"
        if name in ("Administrator", "SysAdmin") and vocabulary in _ADMIN_VOCABULARIES:
            roles.add(Role.ADMINISTRATOR)
        elif name in _INSTRUCTOR_NAMES and vocabulary.startswith("membership"):
            roles.add(Role.INSTRUCTOR)
    if not roles:
        roles.add(Role.LEARNER)
    return frozenset(roles)


@dataclass(frozen=True)
class ContextInfo:
    id: str
    label: str = ""
    title: str = ""


@dataclass(frozen=True)
class ResourceLinkInfo:
    id: str
    title: str = ""


@dataclass(frozen=True)
class AgsEndpoint:
    lineitems: str | None
    lineitem: str | None
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class NrpsEndpoint:
    context_memberships_url: str
    versions: tuple[str, ...]


@dataclass(frozen=True)
class DeepLinkingSettings:
    return_url: str
    accept_types: tuple[str, ...]
    accept_presentation_document_targets: tuple[str, ...]
    accept_multiple: bool
    accept_lineitem: bool
    data: Any
    title: str = ""
    text: str = ""


@dataclass(frozen=True)
class LaunchContext:
    launch_id: str
    message_type: str
    platform_id: int
    platform_name: str
    product_family: str
    issuer: str
    client_id: str
    deployment_id: str
    sub: str
    name: str
    given_name: str
    family_name: str
    email: str
    username: str
    person_sourcedid: str
    roles: frozenset[Role]
    context: ContextInfo | None
    resource_link: ResourceLinkInfo | None
    custom: Mapping[str, str] = field(default_factory=dict)
    ags: AgsEndpoint | None = None
    nrps: NrpsEndpoint | None = None
    locale: str = ""
    document_target: str = ""
    return_url: str = ""
    deep_linking: DeepLinkingSettings | None = None

    @property
    def main_role(self) -> Role:
        for role in (Role.ADMINISTRATOR, Role.INSTRUCTOR):
            if role in self.roles:
                return role
        return Role.LEARNER

    @property
    def is_staff(self) -> bool:
        return self.main_role is not Role.LEARNER


LaunchHandler = Callable[[LaunchContext], ResponseReturnValue]


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _truthy(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _ags(raw: object) -> AgsEndpoint | None:
    data = _dict(raw)
    if not data:
        return None
    lineitems, lineitem = _text(data.get("lineitems")) or None, _text(data.get("lineitem")) or None
    if lineitems is None and lineitem is None:
        return None
    return AgsEndpoint(lineitems=lineitems, lineitem=lineitem, scopes=_strings(data.get("scope")))


def _nrps(raw: object) -> NrpsEndpoint | None:
    data = _dict(raw)
    url = _text(data.get("context_memberships_url"))
    return NrpsEndpoint(url, _strings(data.get("service_versions"))) if url else None


def _deep_linking(raw: object) -> DeepLinkingSettings | None:
    data = _dict(raw)
    url = _text(data.get("deep_link_return_url"))
    if not url:
        return None
    return DeepLinkingSettings(
        return_url=url,
        accept_types=_strings(data.get("accept_types")),
        accept_presentation_document_targets=_strings(data.get("accept_presentation_document_targets")),
        accept_multiple=_truthy(data.get("accept_multiple")),
        accept_lineitem=_truthy(data.get("accept_lineitem", True)),
        data=data.get("data"),
        title=_text(data.get("title")),
        text=_text(data.get("text")),
    )


def build_context(
    payload: Mapping[str, Any],
    *,
    launch_id: str,
    platform_id: int,
    platform_name: str,
    product_family: str,
    client_id: str,
) -> LaunchContext:
    """Typed view of validated claims (validation happened before: here absent values become empty)."""
    context_claim = _dict(payload.get(c.CONTEXT))
    link_claim = _dict(payload.get(c.RESOURCE_LINK))
    presentation = _dict(payload.get(c.LAUNCH_PRESENTATION))
    tool_platform = _dict(payload.get(c.TOOL_PLATFORM))
    custom = {str(k): str(v) for k, v in _dict(payload.get(c.CUSTOM)).items() if v is not None}
    return LaunchContext(
        launch_id=launch_id,
        message_type=_text(payload.get(c.MESSAGE_TYPE)),
        platform_id=platform_id,
        platform_name=platform_name,
        product_family=product_family or _text(tool_platform.get("product_family_code")),
        issuer=_text(payload.get("iss")),
        client_id=client_id,
        deployment_id=_text(payload.get(c.DEPLOYMENT_ID)),
        sub=_text(payload.get("sub")),
        name=_text(payload.get("name")),
        given_name=_text(payload.get("given_name")),
        family_name=_text(payload.get("family_name")),
        email=_text(payload.get("email")),
        username=_text(_dict(payload.get(c.EXT)).get("user_username")),
        person_sourcedid=_text(_dict(payload.get(c.LIS)).get("person_sourcedid")),
        roles=map_roles(payload.get(c.ROLES)),
        context=ContextInfo(
            id=_text(context_claim.get("id")),
            label=_text(context_claim.get("label")),
            title=_text(context_claim.get("title")),
        )
        if _text(context_claim.get("id"))
        else None,
        resource_link=ResourceLinkInfo(id=_text(link_claim.get("id")), title=_text(link_claim.get("title")))
        if _text(link_claim.get("id"))
        else None,
        custom=custom,
        ags=_ags(payload.get(c.AGS_ENDPOINT)),
        nrps=_nrps(payload.get(c.NRPS)),
        locale=_text(presentation.get("locale")),
        document_target=_text(presentation.get("document_target")),
        return_url=_text(presentation.get("return_url")),
        deep_linking=_deep_linking(payload.get(c.DL_SETTINGS)),
    )
