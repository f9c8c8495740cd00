"""Entry points for code outside requests (the sync jobs): service clients for a platform, and
``send_score`` which drains one AGS outbox row. Independent of Flask.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import requests
from sqlalchemy.orm import Session

from config.crypto import SecretBox
from lti import keys
from lti.models import Platform
from lti.runtime import USER_AGENT
from lti.services.ags import AgsClient, Score
from lti.services.errors import ServiceRejectedError
from lti.services.http import ServiceClient
from lti.services.nrps import NrpsClient
from lti.services.tokens import AccessTokens, PlatformEndpoints
from lti.storage import DatabaseLaunchStorage, LaunchStorage

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class ServiceOptions:
    """Shared storage for the token cache (default: the session's database), HTTP session, timeout."""

    storage: LaunchStorage | None = None
    http: requests.Session | None = None
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class ScoreToSend:
    """The fields of an AGS outbox row, detached from the ORM (jobs pass values, not rows)."""

    platform_id: int
    user_sub: str
    score_given: float
    score_maximum: float
    lineitem_url: str | None = None
    lineitems_url: str | None = None
    resource_link_id: str | None = None
    comment: str = ""
    label: str = "PACNum - auto-évaluation"
    tag: str = "pacnum-self-assessment"
    timestamp: datetime | None = None


def endpoints_for(platform: Platform) -> PlatformEndpoints:
    return PlatformEndpoints(
        platform_id=platform.id,
        client_id=platform.client_id,
        token_url=platform.auth_token_url,
        audience=platform.auth_audience,
    )


def service_client(
    session: Session, secret_box: SecretBox, platform_id: int, options: ServiceOptions | None = None
) -> ServiceClient:
    options = options or ServiceOptions()
    platform = session.get(Platform, platform_id)
    if platform is None:
        raise ServiceRejectedError(f"platform {platform_id} is not registered any more")
    http = options.http
    if http is None:
        http = requests.Session()
        http.headers["User-Agent"] = USER_AGENT
    storage = options.storage or DatabaseLaunchStorage.for_engine(session.get_bind())
    bind = session.get_bind()
    tokens = AccessTokens(
        storage,
        secret_box,
        lambda: keys.committed_signing_key(bind, secret_box),
        http=http,
        timeout=options.timeout,
    )
    return ServiceClient(endpoints_for(platform), tokens, http=http, timeout=options.timeout)


def ags_client(
    session: Session, secret_box: SecretBox, platform_id: int, options: ServiceOptions | None = None
) -> AgsClient:
    return AgsClient(service_client(session, secret_box, platform_id, options))


def nrps_client(
    session: Session, secret_box: SecretBox, platform_id: int, options: ServiceOptions | None = None
) -> NrpsClient:
    return NrpsClient(service_client(session, secret_box, platform_id, options))


def send_score(
    session: Session, secret_box: SecretBox, score: ScoreToSend, options: ServiceOptions | None = None
) -> None:
    """Post one score to the gradebook: to the launch's line item, else to the line item of the resource
    link (found or created in the lineitems container). Raises a ServiceError (``retryable`` tells the
    job whether to try again later)."""
    ags = ags_client(session, secret_box, score.platform_id, options)
    lineitem_url = score.lineitem_url
    if not lineitem_url:
        if not score.lineitems_url:
            raise ServiceRejectedError("the launch carried no AGS line item nor line items URL")
        lineitem_url = ags.find_or_create_line_item(
            score.lineitems_url,
            label=score.label,
            score_maximum=score.score_maximum,
            resource_link_id=score.resource_link_id or "",
            tag=score.tag,
        ).id
    ags.post_score(
        lineitem_url,
        Score(
            user_id=score.user_sub,
            score_given=score.score_given,
            score_maximum=score.score_maximum,
            comment=score.comment,
            timestamp=score.timestamp,
        ),
    )
    log.info("score sent to platform %s", score.platform_id)
