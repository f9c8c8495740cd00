"""Retention of the LTI adapter's short-lived rows: launch states (and their nonces), platform-storage
values.

They expire within minutes; the rules delete them once they are older than
BRIDGE_RETENTION_HOURS_LAUNCH_STATE past their expiry (a replayed id_token is refused long before).
"""

from __future__ import annotations

from bridge.privacy import retention
from lti.models import LaunchState, StoredValue

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
)


def register() -> None:
    for rule in LTI_RULES:
        retention.register(rule)
