"""Names of the LTI 1.3 / Advantage claims, scopes and media types (one place, no typos)."""

from __future__ import annotations

from typing import Final

LTI: Final = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE: Final = LTI + "message_type"
VERSION: Final = LTI + "version"
DEPLOYMENT_ID: Final = LTI + "deployment_id"
TARGET_LINK_URI: Final = LTI + "target_link_uri"
RESOURCE_LINK: Final = LTI + "resource_link"
ROLES: Final = LTI + "roles"
CONTEXT: Final = LTI + "context"
TOOL_PLATFORM: Final = LTI + "tool_platform"
LAUNCH_PRESENTATION: Final = LTI + "launch_presentation"
CUSTOM: Final = LTI + "custom"
LIS: Final = LTI + "lis"
EXT: Final = LTI + "ext"

AGS_ENDPOINT: Final = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS: Final = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS: Final = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DL_CONTENT_ITEMS: Final = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DL_DATA: Final = "https://purl.imsglobal.org/spec/lti-dl/claim/data"

RESOURCE_LINK_REQUEST: Final = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST: Final = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE: Final = "LtiDeepLinkingResponse"
SUPPORTED_MESSAGES: Final = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)
LTI_VERSION: Final = "1.3.0"

SCOPE_LINEITEM: Final = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY: Final = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY: Final = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE: Final = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS: Final = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
TOOL_SCOPES: Final = (
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    SCOPE_NRPS,
)

MEDIA_LINEITEM: Final = "application/vnd.ims.lis.v2.lineitem+json"
MEDIA_LINEITEMS: Final = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MEDIA_SCORE: Final = "application/vnd.ims.lis.v1.score+json"
MEDIA_MEMBERSHIPS: Final = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

TOOL_CONFIGURATION: Final = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION: Final = "https://purl.imsglobal.org/spec/lti-platform-configuration"

LIS_VOCABULARY: Final = "http://purl.imsglobal.org/vocab/lis/v2/"
