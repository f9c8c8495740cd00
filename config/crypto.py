"""Encryption at rest of the secrets kept in the database (private keys, LMS tokens).

Fernet (AES-128-CBC + HMAC-SHA256) with key rotation: the first key of ``BRIDGE_ENCRYPTION_KEY``
encrypts, every listed key decrypts, so an operator can add a new key in front and re-encrypt.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretDecryptionError(Exception):
    """A stored secret cannot be decrypted with the configured keys."""


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as exc:
            raise SecretDecryptionError(
                "a stored secret cannot be decrypted: was BRIDGE_ENCRYPTION_KEY changed without keeping "
                "the old key after it?"
            ) from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt a stored secret with the first (current) key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")
