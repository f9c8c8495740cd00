"""RSA signing keys of an emulated platform, with rotation (the demo LMS and the test platform)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from lti.keys import SigningKey, generate_rsa, public_jwk_from_pem


@dataclass
class KeyRing:
    keys: dict[str, str] = field(default_factory=dict)  # kid -> private PEM
    active_kid: str = ""
    _lock: Lock = field(default_factory=Lock, repr=False)

    @classmethod
    def generate(cls) -> KeyRing:
        ring = cls()
        ring.add_key()
        return ring

    def add_key(self, *, activate: bool = True) -> str:
        pem, _jwk = generate_rsa()
        kid = secrets.token_hex(10)
        with self._lock:
            self.keys[kid] = pem
            if activate or not self.active_kid:
                self.active_kid = kid
        return kid

    def add_pem(self, kid: str, pem: str, *, activate: bool = True) -> None:
        with self._lock:
            self.keys[kid] = pem
            if activate or not self.active_kid:
                self.active_kid = kid

    def remove(self, kid: str) -> None:
        with self._lock:
            self.keys.pop(kid, None)

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            return {"keys": [public_jwk_from_pem(pem, kid) for kid, pem in self.keys.items()]}

    def sign(
        self, claims: dict[str, Any], *, kid: str | None = None, headers: dict[str, Any] | None = None
    ) -> str:
        kid = kid or self.active_kid
        return SigningKey(kid, self.keys[kid]).sign(claims, {"typ": "JWT", **(headers or {})})
