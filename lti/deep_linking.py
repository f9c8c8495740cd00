"""Deep Linking response: the chosen item goes back to the platform as a signed ``ltiResourceLink``
carrying a ``lineItem`` (so Moodle creates the grade column) and the custom parameters.

Built with pylti1p3's ``DeepLink`` / ``DeepLinkResource`` / ``LineItem`` and signed RS256 with the tool's
active key (``kid`` in the header).
"""

from __future__ import annotations

from typing import Any

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from sqlalchemy.orm import Session

from lti import claims as c
from lti import keys
from lti.context import LaunchContext
from lti.models import Platform
from lti.runtime import DeepLinkChoice, LtiRuntime
from lti.toolconf import to_registration


def content_item(choice: DeepLinkChoice, *, launch_url: str) -> DeepLinkResource:
    lineitem = LineItem()
    lineitem.set_score_maximum(choice.score_maximum)
    lineitem.set_label(choice.lineitem_label or choice.title)
    lineitem.set_resource_id(choice.id)
    if choice.lineitem_tag:
        lineitem.set_tag(choice.lineitem_tag)
    resource = DeepLinkResource()
    resource.set_type("ltiResourceLink")
    resource.set_title(choice.title)
    resource.set_url(launch_url)
    resource.set_custom_params(dict(choice.custom))
    resource.set_lineitem(lineitem)
    return resource


def response_claims(
    ctx: LaunchContext, choice: DeepLinkChoice, registration: Any, launch_url: str
) -> dict[str, Any]:
    settings = ctx.deep_linking
    assert settings is not None
    dl_settings: dict[str, Any] = {
        "deep_link_return_url": settings.return_url,
        "accept_types": list(settings.accept_types),
        "accept_presentation_document_targets": list(settings.accept_presentation_document_targets),
    }
    if settings.data is not None:
        dl_settings["data"] = settings.data
    message = DeepLink(registration, ctx.deployment_id, dl_settings).get_message_jwt(  # type: ignore[arg-type]
        [content_item(choice, launch_url=launch_url)]
    )
    message["aud"] = ctx.issuer
    if settings.data is None:
        message.pop(c.DL_DATA, None)
    item = message[c.DL_CONTENT_ITEMS][0]  # type: ignore[index]
    if not item.get("custom"):
        item.pop("custom", None)
    return message


def build_response(session: Session, runtime: LtiRuntime, ctx: LaunchContext, choice: DeepLinkChoice) -> str:
    """The signed ``JWT`` form value to post to the platform's deep_link_return_url."""
    platform = session.get(Platform, ctx.platform_id)
    assert platform is not None
    signing = keys.signing_key(session, runtime.secret_box)
    registration = to_registration(platform, signing)
    message = response_claims(ctx, choice, registration, runtime.urls.launch)
    return signing.sign(message)
