"""Retention of the LTI adapter's rows: launch states (and their nonces), platform-storage values and
registration links.

States and values expire within minutes; the rules delete them once they are older than
BRIDGE_RETENTION_HOURS_LAUNCH_STATE past their expiry (a replayed id_token is refused long before).
Registration links go BRIDGE_RETENTION_DAYS_AUDIT after their expiry, with the audit events about them.
"""

from __future__ import annotations

from datetime import timedelta

from bridge.privacy import retention
from lti.models import LaunchState, RegistrationLink, StoredValue

LTI_RULES = (
    retention.delete_rule(
        "lti_launch_state",
        "LTI launch states",
        LaunchState.state,
        lambda at: LaunchState.expires_at < at,
        retention.hours_setting("retention_hours_launch_state"),
    ),
    retention.delete_rule(
        "lti_stored_value",
        "LTI platform-storage values and cached service tokens",
        StoredValue.key,
        lambda at: StoredValue.expires_at < at,
        retention.hours_setting("retention_hours_launch_state"),
    ),
    # Registration links (the label may name the LMS admin it was given to) go with the audit events
    # that tell their story: BRIDGE_RETENTION_DAYS_AUDIT after their expiry.
    retention.delete_rule(
        "lti_registration_link",
        "LTI registration links, a year after their expiry",
        RegistrationLink.id,
        lambda at: RegistrationLink.expires_at < at,
        lambda settings, now: now - timedelta(days=settings.retention_days_audit),
    ),
)


def register() -> None:
    for rule in LTI_RULES:
        retention.register(rule)
