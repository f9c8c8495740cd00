"""Refuse any network connection that leaves this machine's loopback."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class ExternalNetworkError(ConnectionRefusedError):
    """A test tried to reach a host outside 127.0.0.0/8 and ::1. Refused like an egress firewall refuses
    (an OSError), so the code under test meets the failure production would meet."""


def _is_local(address: Any) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and other families stay on the machine
    host = str(address[0])
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _is_local(address):
        raise ExternalNetworkError(f"test tried to connect to {address!r}: only 127.0.0.1 is allowed")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _is_local(address):
        raise ExternalNetworkError(f"test tried to connect to {address!r}: only 127.0.0.1 is allowed")
    return _real_connect_ex(self, address)


def install(monkeypatch: Any) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
