"""Settings: defaults, validation messages, production requirements, development key generation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import PROJECT_ROOT, SettingsError, load_settings

FERNET = "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="


def test_development_generates_and_keeps_keys(tmp_path: Path) -> None:
    first = load_settings(env="development", instance_path=tmp_path)
    second = load_settings(env="development", instance_path=tmp_path)
    assert first.secret_key_value() == second.secret_key_value()
    assert first.encryption_keys() == second.encryption_keys()
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert first.effective_database_url == f"sqlite:///{tmp_path / 'bridge.db'}"


def test_production_names_every_missing_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as excinfo:
        load_settings(env="production", instance_path=tmp_path)
    message = str(excinfo.value)
    for name in ("BRIDGE_SECRET_KEY", "BRIDGE_ENCRYPTION_KEY", "BRIDGE_BASE_URL"):
        assert name in message
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_a_short_secret_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="at least 32"):
        load_settings(
            env="production", secret_key="short", encryption_key=FERNET, base_url="https://pacnum.example.fr"
        )


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("env", "staging", "BRIDGE_ENV"),
        ("base_url", "pacnum.example.fr", "absolute http(s) URL"),
        ("base_url", "https://x.fr/?a=1", "query string"),
        ("database_url", "mysql://x/y", "SQLite"),
        ("encryption_key", "not-a-key", "Fernet"),
        ("log_level", "LOUD", "BRIDGE_LOG_LEVEL"),
        ("default_locale", "de", "'fr' or 'en'"),
        ("proxy_count", "9", "BRIDGE_PROXY_COUNT"),
        ("lti_registration_hosts", "https://moodle.example.gouv.fr", "is not a host name"),
        ("lti_registration_hosts", "moodle.example.gouv.fr/moodle", "no scheme, no path"),
        ("lti_registration_hosts", "moodle.example.gouv.fr:99999", "between 1 and 65535"),
    ],
)
def test_wrong_values_are_named(tmp_path: Path, field: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as excinfo:
        load_settings(**{field: value, "instance_path": tmp_path})
    assert fragment in str(excinfo.value)
    assert f"BRIDGE_{field.upper()}" in str(excinfo.value)


def test_environment_and_dotenv_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "BRIDGE_BASE_URL=https://from-dotenv.example.fr/\nBRIDGE_LOG_LEVEL=debug\n"
    )
    monkeypatch.setenv("BRIDGE_LOG_LEVEL", "warning")
    settings = load_settings(instance_path=tmp_path)
    assert settings.base_url == "https://from-dotenv.example.fr"
    assert settings.log_level == "WARNING"  # the environment wins over .env


def test_registration_hosts_are_read_as_a_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(instance_path=tmp_path).lti_registration_hosts == []  # default: none
    monkeypatch.setenv(
        "BRIDGE_LTI_REGISTRATION_HOSTS", " Moodle.Example.gouv.fr , moodle2.example.gouv.fr:8443,"
    )
    settings = load_settings(instance_path=tmp_path)
    assert settings.lti_registration_hosts == ["moodle.example.gouv.fr", "moodle2.example.gouv.fr:8443"]


def test_postgresql_url_gets_the_psycopg_driver(tmp_path: Path) -> None:
    settings = load_settings(instance_path=tmp_path, database_url="postgresql://u@h/db")
    assert settings.effective_database_url == "postgresql+psycopg://u@h/db"


def test_production_without_secret_key_exits_non_zero(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    env.update(BRIDGE_ENV="production", BRIDGE_INSTANCE_PATH=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "current"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "BRIDGE_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr
