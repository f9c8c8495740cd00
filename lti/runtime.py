"""What the LTI adapter needs at run time, built once by ``lti.integration.init_app``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from config.crypto import SecretBox
from config.database import Database
from lti.context import LaunchContext, LaunchHandler
from lti.registry_cache import RegistryCache
from lti.storage import LaunchStorage

USER_AGENT = "pacnum-bridge LTI tool"

AuditHook = Callable[..., object]


@dataclass(frozen=True)
class DeepLinkChoice:
    """Something an instructor can place in a course: becomes an ``ltiResourceLink`` with a line item."""

    id: str
    title: str
    description: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    lineitem_label: str = ""
    lineitem_tag: str = ""
    score_maximum: float = 100.0


DeepLinkChoices = Callable[[LaunchContext], list[DeepLinkChoice]]


@dataclass(frozen=True)
class ToolUrls:
    base_url: str

    def _join(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    @property
    def login(self) -> str:
        return self._join("/lti/login")

    @property
    def launch(self) -> str:
        return self._join("/lti/launch")

    @property
    def jwks(self) -> str:
        return self._join("/lti/jwks")

    @property
    def register(self) -> str:
        return self._join("/lti/register")

    def registration_link(self, token: str) -> str:
        """A one-time registration link (lti.registration_links): the token is part of the path."""
        return self._join("/lti/register/" + token)

    @property
    def logo(self) -> str:
        return self._join("/lti/static/logo.svg")

    @property
    def domain(self) -> str:
        return urlsplit(self.base_url).netloc

    def belongs_to_tool(self, url: str) -> bool:
        parts, ours = urlsplit(url), urlsplit(self.base_url)
        return parts.scheme in ("http", "https") and parts.netloc.lower() == ours.netloc.lower()


@dataclass
class LtiRuntime:
    urls: ToolUrls
    database: Database
    storage: LaunchStorage
    secret_box: SecretBox
    launch_handler: LaunchHandler
    deep_link_choices: DeepLinkChoices
    leeway_seconds: int = 60
    jwks_refetch_interval: timedelta = timedelta(seconds=10)
    http_timeout: float = 10.0
    secure_cookies: bool = False
    audit: AuditHook | None = None
    # LMS hosts allowed to register without a link (BRIDGE_LTI_REGISTRATION_HOSTS), "host[:port]".
    registration_hosts: tuple[str, ...] = ()
    http: requests.Session = field(default_factory=requests.Session)
    # Seconds a process keeps its snapshot of the registrations (lti.registry_cache); 0: none.
    registry_cache_seconds: float = 0
    registrations: RegistryCache = field(init=False)

    def __post_init__(self) -> None:
        self.http.headers["User-Agent"] = USER_AGENT
        self.registrations = RegistryCache(self.database, self.registry_cache_seconds)

    def record(
        self, session: Any, action: str, target: str = "", *, actor: str = "lti", **details: Any
    ) -> None:
        """Pass an administrative event to the application's audit log, when it gave a hook. ``actor``:
        who did it, when a person did (``admin:<id>``, ``cli:<user>``); "lti" for the protocol itself."""
        if self.audit is not None:
            self.audit(session, actor, action, target, **details)
