"""Hosts of the URLs the tool calls during a dynamic registration: who may be called, and whether two URLs
are on the same site.

An allowed host is written ``host`` or ``host:port`` (config.settings.parse_host_port); without a port it
means the default port of the URL's scheme (443 for https, 80 for http), never "any port".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from config.settings import format_host_port, parse_host_port

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Origin:
    """Scheme, lower-case host and effective port of an http(s) URL."""

    scheme: str
    host: str
    port: int

    @property
    def display(self) -> str:
        """``host`` when on the default port, else ``host:port`` (the form an admin writes)."""
        port = None if DEFAULT_PORTS[self.scheme] == self.port else self.port
        return format_host_port(self.host, port)


def origin_of(url: str) -> Origin | None:
    """The origin of an absolute http(s) URL, or None when it is not one (or its port is invalid)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in DEFAULT_PORTS or not host or parts.username is not None or port == 0:
        return None
    return Origin(scheme, host, port if port is not None else DEFAULT_PORTS[scheme])


def normalize_host(value: str) -> str:
    """An admin's ``host[:port]``, lower-cased; ValueError when it is not one."""
    return format_host_port(*parse_host_port(value))


def host_matches(origin: Origin, allowed: str) -> bool:
    try:
        host, port = parse_host_port(allowed)
    except ValueError:
        return False
    return origin.host == host and origin.port == (port if port is not None else DEFAULT_PORTS[origin.scheme])


def host_allowed(origin: Origin, allowed: Iterable[str]) -> bool:
    return any(host_matches(origin, entry) for entry in allowed)
