"""Registration of the built-in demo LMS (development only): its key, platform and active deployment."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.crypto import SecretBox
from config.settings import Settings
from lti import keys, registry
from lti.demo.keyring import KeyRing
from lti.keys import generate_rsa
from lti.models import DemoPlatformKey, Platform

DEMO_CLIENT_ID = "pacnum-demo-lms"
DEMO_DEPLOYMENT_ID = "1"
DEMO_PATH = "/demo-lms"


def demo_root(base_url: str) -> str:
    return base_url.rstrip("/") + DEMO_PATH


def demo_keyring(session: Session, box: SecretBox) -> KeyRing:
    """The demo platform's keys (created encrypted on first use). The caller commits."""
    rows = list(session.scalars(select(DemoPlatformKey).order_by(DemoPlatformKey.id)))
    if not rows:
        pem, _ = generate_rsa()
        row = DemoPlatformKey(kid=secrets.token_hex(10), private_key_encrypted=box.encrypt(pem))
        session.add(row)
        session.flush()
        rows = [row]
    ring = KeyRing()
    for row in rows:
        ring.add_pem(row.kid, box.decrypt(row.private_key_encrypted))
    return ring


def ensure_demo_platform(session: Session, base_url: str, box: SecretBox) -> Platform:
    root = demo_root(base_url)
    demo_keyring(session, box)
    keys.ensure_active_key(session, box)
    platform = registry.get_platform(session, root, DEMO_CLIENT_ID)
    if platform is None:
        platform, _ = registry.save_platform(
            session,
            registry.PlatformInput(
                issuer=root,
                client_id=DEMO_CLIENT_ID,
                auth_login_url=root + "/mod/lti/auth.php",
                auth_token_url=root + "/mod/lti/token.php",
                key_set_url=root + "/mod/lti/certs.php",
                name="Moodle de démonstration",
                product_family="moodle",
                registered_by="demo",
            ),
        )
    registry.add_deployment(session, platform, DEMO_DEPLOYMENT_ID, active=True)
    return platform


def seed_demo_platform(session: Session, settings: Settings) -> str:
    """DEMO_SEEDERS entry: idempotent."""
    existed = registry.get_platform(session, demo_root(settings.base_url), DEMO_CLIENT_ID) is not None
    platform = ensure_demo_platform(session, settings.base_url, SecretBox(settings.encryption_keys()))
    state = "already registered" if existed else "registered"
    return f"demo LMS {state} ({platform.issuer}/), deployment {DEMO_DEPLOYMENT_ID} active"
