"""Typed settings read from the environment (prefix ``BRIDGE_``) and an optional ``.env`` file.

Every value is validated at start-up; a wrong value stops the service with a message that names the
variable and says how to fix it. Development may generate missing keys under ``instance/``; production
refuses to start without them.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_PATH = PROJECT_ROOT / "instance"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


class SettingsError(Exception):
    """A setting is missing or wrong. The message names the variable and the fix."""


class Settings(BaseSettings):
    """All settings of the service. Attribute ``foo`` is read from ``BRIDGE_FOO``."""

    model_config = SettingsConfigDict(
        env_prefix="BRIDGE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    env: Environment = Environment.DEVELOPMENT
    instance_path: Path = DEFAULT_INSTANCE_PATH
    database_url: str = ""
    base_url: str = "http://127.0.0.1:5000"
    secret_key: SecretStr | None = None
    encryption_key: SecretStr | None = None
    redis_url: str | None = None
    log_level: str = "INFO"
    log_format: str = ""
    default_locale: str = "fr"
    sql_echo: bool = False
    # Reverse proxy: how many proxies set X-Forwarded-* in front of the service (0 = none).
    proxy_count: Annotated[int, Field(ge=0, le=5)] = 0
    # Cron expressions (Europe/Paris) of the nightly jobs.
    timezone: str = "Europe/Paris"
    demo_platform: bool = True
    dsfr_path: Path = PROJECT_ROOT / "node_modules" / "@gouvfr" / "dsfr" / "dist"
    trusted_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Admin console login: this many failed passwords in a row lock a local account for the delay below.
    admin_lockout_threshold: Annotated[int, Field(ge=1, le=100)] = 5
    admin_lockout_minutes: Annotated[int, Field(ge=1, le=1440)] = 15

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL such as https://pacnum.example.gouv.fr")
        if parts.query or parts.fragment:
            raise ValueError("must not carry a query string or a fragment")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return upper

    @field_validator("log_format")
    @classmethod
    def _check_log_format(cls, value: str) -> str:
        if value not in ("", "text", "json"):
            raise ValueError("must be 'text' or 'json' (empty: text in development, json otherwise)")
        return value

    @field_validator("default_locale")
    @classmethod
    def _check_locale(cls, value: str) -> str:
        if value not in ("fr", "en"):
            raise ValueError("must be 'fr' or 'en'")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError(
                "must be a SQLite (sqlite:///path.db) or PostgreSQL (postgresql+psycopg://user@host/db) URL"
            )
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("encryption_key")
    @classmethod
    def _check_encryption_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        for key in value.get_secret_value().split(","):
            try:
                raw = base64.urlsafe_b64decode(key.strip().encode())
            except (binascii.Error, ValueError) as exc:
                raise ValueError(
                    "must be Fernet keys (url-safe base64 of 32 bytes), comma-separated"
                ) from exc
            if len(raw) != 32:
                raise ValueError("each key must be url-safe base64 of exactly 32 bytes (a Fernet key)")
        return value

    @field_validator("trusted_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [h.strip() for h in value.split(",") if h.strip()]
        return value

    # Derived values -------------------------------------------------------------------------------

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def is_development(self) -> bool:
        return self.env is Environment.DEVELOPMENT

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.instance_path / 'bridge.db'}"

    @property
    def effective_log_format(self) -> str:
        if self.log_format:
            return self.log_format
        return "text" if self.env is not Environment.PRODUCTION else "json"

    @property
    def uses_https(self) -> bool:
        return self.base_url.startswith("https://")

    def secret_key_value(self) -> str:
        if self.secret_key is None:
            raise SettingsError("BRIDGE_SECRET_KEY is not set")
        return self.secret_key.get_secret_value()

    def encryption_keys(self) -> list[str]:
        if self.encryption_key is None:
            raise SettingsError("BRIDGE_ENCRYPTION_KEY is not set")
        return [k.strip() for k in self.encryption_key.get_secret_value().split(",") if k.strip()]


def _format_validation_error(error: ValidationError) -> str:
    lines = ["Invalid configuration:"]
    for item in error.errors():
        name = "BRIDGE_" + "_".join(str(p) for p in item["loc"]).upper()
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"  {name}: {message} (got {item.get('input')!r})")
    return "\n".join(lines)


def _ensure_key(path: Path, generate: str) -> str:
    """Read a development key from ``instance/``, creating it (mode 0600) on first use."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(generate + "\n", encoding="utf-8")
    path.chmod(0o600)
    return generate


def load_settings(**overrides: Any) -> Settings:
    """Build and check the settings. Raises SettingsError with a readable message when wrong."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_format_validation_error(exc)) from None

    if settings.is_production:
        missing = [
            name
            for name, value in (
                ("BRIDGE_SECRET_KEY", settings.secret_key),
                ("BRIDGE_ENCRYPTION_KEY", settings.encryption_key),
            )
            if value is None
        ]
        if "base_url" not in settings.model_fields_set:
            missing.append("BRIDGE_BASE_URL")
        if missing:
            raise SettingsError(
                "Production needs these variables, which are not set: "
                + ", ".join(missing)
                + ". Generate keys with `flask --app wsgi bridge generate-keys` and set them in the "
                "environment or in a .env file."
            )
        if len(settings.secret_key_value()) < 32:
            raise SettingsError("BRIDGE_SECRET_KEY must be at least 32 characters long in production.")
        return settings

    updates: dict[str, Any] = {}
    if settings.secret_key is None:
        key = _ensure_key(settings.instance_path / "secret_key", secrets.token_urlsafe(48))
        updates["secret_key"] = SecretStr(key)
    if settings.encryption_key is None:
        fernet = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        key = _ensure_key(settings.instance_path / "encryption_key", fernet)
        updates["encryption_key"] = SecretStr(key)
    return settings.model_copy(update=updates) if updates else settings
