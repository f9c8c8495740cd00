"""Typed settings read from the environment (prefix ``BRIDGE_``) and an optional ``.env`` file.

Every value is validated at start-up; a wrong value stops the service with a message that names the
variable and says how to fix it. Development may generate missing keys under ``instance/``; production
refuses to start without them.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_PATH = PROJECT_ROOT / "instance"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


_RATE = re.compile(r"[1-9][0-9]*\s*(/|per)\s*([1-9][0-9]*\s*)?(second|minute|hour|day)s?", re.IGNORECASE)


def parse_host_port(value: str) -> tuple[str, int | None]:
    """``host`` or ``host:port`` (``[v6]:port`` for IPv6) -> (lower-case host, port or None).

    Raises ValueError on anything else (a scheme, a path, credentials, spaces, a bad port)."""
    value = value.strip()
    if not value or any(ch in value for ch in "/?#@\\ \t\r\n") or any(ord(ch) < 32 for ch in value):
        raise ValueError("a host name is made of letters, digits, dots and dashes, with an optional :port")
    parts = urlsplit("//" + value)
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("the port must be a number between 1 and 65535") from exc
    host = (parts.hostname or "").rstrip(".")
    if not host or port == 0 or (value.endswith(":") and port is None):
        raise ValueError("a host name is made of letters, digits, dots and dashes, with an optional :port")
    return host.lower(), port


def format_host_port(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


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
    # Time zone of the sync scheduler's cron expressions.
    timezone: str = "Europe/Paris"
    # Moodle sync (docs/sync.md): cron times (minute hour day month weekday, in ``timezone``).
    sync_push_cron: str = "0 1 * * *"
    sync_pull_cron: str = "30 2 * * *"  # after Moodle's completion cron
    sync_grades_cron: str = "*/15 * * * *"
    # Recompute the tracker's statistics tables (levels, before/after, progress) of active campaigns.
    sync_stats_cron: str = "*/15 * * * *"
    # A scheduled run missed by at most this long (scheduler down, machine asleep) still runs.
    sync_misfire_grace_seconds: Annotated[int, Field(ge=60, le=86_400)] = 3600
    # A job lock whose heartbeat is older than this is taken over by the next run.
    sync_lock_ttl_seconds: Annotated[int, Field(ge=30, le=86_400)] = 600
    # Completion pull: below this many open pairs, one call per pair is the cheapest.
    sync_pair_threshold: Annotated[int, Field(ge=0)] = 2000
    # Completion pull: a full reconciliation (every open pair) at least this often.
    sync_full_reconciliation_days: Annotated[int, Field(ge=1, le=365)] = 7
    # Incremental pull: also re-check course accesses this long before the last successful pull.
    sync_pull_overlap_minutes: Annotated[int, Field(ge=0, le=10_080)] = 120
    # AGS score retry queue: attempts before a score is marked failed, and the backoff between them.
    sync_ags_max_attempts: Annotated[int, Field(ge=1, le=100)] = 10
    sync_ags_backoff_seconds: Annotated[int, Field(ge=1, le=86_400)] = 60
    demo_platform: bool = True
    # LTI: clock skew accepted on id_token iat/exp (platform clocks drift), in seconds.
    lti_leeway_seconds: Annotated[int, Field(ge=0, le=600)] = 60
    # LTI: minimum delay between two platform JWKS refetches caused by an unknown kid, in seconds.
    lti_jwks_refetch_seconds: Annotated[int, Field(ge=0, le=3600)] = 10
    # LTI: lifetime of each process's snapshot of platforms, their keys and active deployments, in
    # seconds (lti.registry_cache): a deactivation made elsewhere applies after at most this; 0 = off.
    lti_registry_cache_seconds: Annotated[int, Field(ge=0, le=600)] = 30
    # LTI: timeout of every call to a platform (JWKS, registration, token, AGS, NRPS), in seconds.
    lti_http_timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 10.0
    # LTI dynamic registration without a registration link (bare /lti/register): only from these LMS hosts
    # ("host" or "host:port", comma-separated; no port = the default port of http/https). Empty: refused,
    # every registration needs a one-time link issued by the tool's admin (docs/lti.md).
    lti_registration_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Lifetime of the signed launch token carried in the agent's URLs and forms (refreshed on each page).
    launch_token_max_age: Annotated[int, Field(ge=300, le=86400)] = 4 * 3600
    dsfr_path: Path = PROJECT_ROOT / "node_modules" / "@gouvfr" / "dsfr" / "dist"
    # A ministry's own competence framework (YAML, same schema as config/data/framework.yaml).
    framework_path: Path | None = None
    # What the LMS gradebook receives: "percent" (pix total out of 100) or "average_level" (out of the cap).
    grade_mode: str = "percent"
    trusted_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Admin console login: this many failed passwords in a row lock a local account for the delay below.
    admin_lockout_threshold: Annotated[int, Field(ge=1, le=100)] = 5
    admin_lockout_minutes: Annotated[int, Field(ge=1, le=1440)] = 15

    # Rate limits ("N/period", several joined by ";", e.g. "10/minute;50/hour"), shared by every worker
    # and node through Redis (when redis_url is set) or the database.
    ratelimit_enabled: bool = True
    ratelimit_lti: str = "60/minute"  # LTI OIDC login + launch, per client IP
    ratelimit_admin_login_ip: str = "10/minute"  # admin sign-in attempts, per client IP
    ratelimit_admin_login_user: str = "10/minute;30/hour"  # admin sign-in attempts, per username
    ratelimit_api: str = "120/minute"  # BI API, per token

    # /metrics: a Bearer token and/or an allow-list of client addresses (IPs or CIDRs).
    metrics_token: SecretStr | None = None
    metrics_allow: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["127.0.0.1/32", "::1/128"])

    # Retention (GDPR): how long each kind of record is kept before the retention job deletes or
    # pseudonymises it (`flask --app wsgi bridge retention run`).
    retention_hours_launch_state: Annotated[int, Field(ge=1)] = 24
    retention_days_audit: Annotated[int, Field(ge=1)] = 365
    retention_days_answers: Annotated[int, Field(ge=1)] = 3 * 365
    retention_days_inactive_agents: Annotated[int, Field(ge=30)] = 2 * 365
    retention_days_outbox: Annotated[int, Field(ge=1)] = 90
    retention_days_sync_runs: Annotated[int, Field(ge=1)] = 365

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL such as https://pacnum.example.gouv.fr")
        if parts.query or parts.fragment:
            raise ValueError("must not carry a query string or a fragment")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("must be an IANA time zone such as Europe/Paris") from exc
        return value

    @field_validator("sync_push_cron", "sync_pull_cron", "sync_grades_cron", "sync_stats_cron")
    @classmethod
    def _check_cron(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(
                f"must be a cron expression 'minute hour day month weekday' such as '0 1 * * *' ({exc})"
            ) from exc
        return value

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

    @field_validator("grade_mode")
    @classmethod
    def _check_grade_mode(cls, value: str) -> str:
        if value not in ("percent", "average_level"):
            raise ValueError("must be 'percent' or 'average_level'")
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

    @field_validator("trusted_hosts", "metrics_allow", "lti_registration_hosts", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [h.strip() for h in value.split(",") if h.strip()]
        return value

    @field_validator("metrics_allow")
    @classmethod
    def _check_networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"{network!r} is not an IP address or network: use e.g. 127.0.0.1/32,10.0.0.0/8,::1"
                ) from exc
        return value

    @field_validator("lti_registration_hosts")
    @classmethod
    def _check_registration_hosts(cls, value: list[str]) -> list[str]:
        normalized: list[str] = []
        for entry in value:
            try:
                host, port = parse_host_port(entry)
            except ValueError as exc:
                raise ValueError(
                    f"{entry!r} is not a host name: use e.g. moodle.example.gouv.fr,"
                    f"moodle2.example.gouv.fr:8443 (no scheme, no path; {exc})"
                ) from exc
            normalized.append(format_host_port(host, port))
        return normalized

    @field_validator(
        "ratelimit_lti", "ratelimit_admin_login_ip", "ratelimit_admin_login_user", "ratelimit_api"
    )
    @classmethod
    def _check_rate(cls, value: str) -> str:
        parts = [p.strip() for p in re.split(r"[;,]", value) if p.strip()]
        if not parts or not all(_RATE.fullmatch(p) for p in parts):
            raise ValueError(
                "must be rates such as '60/minute' or '10/minute;50/hour' "
                "(periods: second, minute, hour, day)"
            )
        return ";".join(parts)

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

    def metrics_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(n, strict=False) for n in self.metrics_allow]

    def metrics_token_value(self) -> str | None:
        return self.metrics_token.get_secret_value() if self.metrics_token else None

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
