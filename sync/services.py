"""What the sync jobs run with: the database, the product's DomainPort, settings, Moodle client options.

The app factory builds one ``SyncServices`` (bridge wires its port in) and gives it to ``sync.cli`` and
the admin pages; the scheduler process gets it through the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from config.crypto import SecretBox
from config.database import Database
from config.settings import Settings
from sync.models import LmsConnection
from sync.moodle.client import MoodleClient
from sync.ports import DomainPort, PlatformLookup


@dataclass
class SyncServices:
    database: Database
    port: DomainPort
    settings: Settings
    find_platforms: PlatformLookup
    # Extra MoodleClient keyword arguments (timeouts, retries, backoff), mostly for tests.
    client_options: dict[str, Any] = field(default_factory=dict)

    def secret_box(self) -> SecretBox:
        return SecretBox(self.settings.encryption_keys())

    def client_for(self, connection: LmsConnection, **overrides: Any) -> MoodleClient:
        """A client on this connection's Moodle (the token is decrypted here and stays in the client)."""
        options: dict[str, Any] = {"max_parallel": max(1, connection.max_parallel)}
        options.update(self.client_options)
        options.update(overrides)
        token = self.secret_box().decrypt(connection.token_encrypted)
        return MoodleClient(connection.base_url, token, **options)
