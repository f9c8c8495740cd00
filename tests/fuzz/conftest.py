"""Fuzz fixtures: the tool behind Flask's test client (rate limits off: the fuzzer is one very fast
client), with the HTTP test platform registered, and a key that no platform published; for dynamic
registration, the tool with a platform that answers registrations like Moodle (over HTTP), whose host is
in BRIDGE_LTI_REGISTRATION_HOSTS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient

from bridge.app import create_app
from config.database import Database
from config.settings import Settings
from lti.current import get_runtime
from lti.runtime import LtiRuntime
from tests.fakes.lti_platform import TestPlatform
from tests.fakes.lti_registration import FakeRegistrationPlatform
from tests.lti.conftest import register
from tests.support import databases

TOOL_URL = "http://localhost"


@dataclass
class FuzzTool:
    app: Flask
    client: FlaskClient
    database: Database
    platform: TestPlatform

    def login(self, sub: str = "4") -> tuple[str, str]:
        """A real OIDC login initiation: the (state, nonce) the tool sends to the platform."""
        response = self.client.post("/lti/login", data=self.platform.login_initiation(sub))
        assert response.status_code == 302, response.get_data(as_text=True)[:400]
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        return query["state"][0], query["nonce"][0]

    def launch(self, sub: str = "4") -> str:
        """A whole launch; the launch token ``t`` of the agent's pages."""
        state, nonce = self.login(sub)
        response = self.client.post(
            "/lti/launch", data={"id_token": self.platform.id_token(sub, nonce), "state": state}
        )
        assert response.status_code == 303, response.get_data(as_text=True)[:400]
        return parse_qs(urlsplit(response.headers["Location"]).query)["t"][0]


@pytest.fixture
def fuzz_tool(settings_factory: Callable[..., Settings], database: Database) -> Iterator[FuzzTool]:
    settings = settings_factory(base_url=TOOL_URL, ratelimit_enabled=False)
    app = create_app(settings, database=database)
    with TestPlatform(TOOL_URL) as platform:
        register(database, platform)
        yield FuzzTool(app=app, client=app.test_client(), database=database, platform=platform)
    databases.clean_tables(database)


@dataclass
class RegistrationFuzz:
    app: Flask
    client: FlaskClient
    database: Database
    runtime: LtiRuntime
    moodle: FakeRegistrationPlatform


@pytest.fixture
def registration_fuzz(
    settings_factory: Callable[..., Settings], database: Database
) -> Iterator[RegistrationFuzz]:
    with FakeRegistrationPlatform() as moodle:
        settings = settings_factory(
            base_url=TOOL_URL,
            ratelimit_enabled=False,
            lti_registration_hosts=moodle.url.removeprefix("http://"),
            lti_http_timeout_seconds=5,
        )
        app = create_app(settings, database=database)
        yield RegistrationFuzz(
            app=app, client=app.test_client(), database=database, runtime=get_runtime(app), moodle=moodle
        )
    databases.clean_tables(database)


@pytest.fixture(scope="session")
def stranger_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
