"""pylti1p3 adapter: a database-backed ``ToolConfAbstract`` over our registrations and keys.

pylti1p3 2.0.0 is used for what it does well and what we do not want to reimplement - its registry
interface, its ``Registration`` object and its deep-linking message builder (``DeepLink``,
``DeepLinkResource``, ``LineItem``). The OIDC login, the id_token validation and the service calls are
ours (lti.login, lti.launch, lti.services): pylti1p3 keeps state in cookies, never consumes nonces, has no
``azp`` check nor clock leeway, fetches the platform JWKS without a kid-aware cache, lower-cases NRPS
next-page URLs and has no timeouts (see docs/lti.md, "Design").
"""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment as PyltiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.crypto import SecretBox
from lti import keys
from lti.models import Deployment, Platform


class ToolRegistration(Registration):
    """A pylti1p3 Registration that signs with our active key and announces its random kid."""

    def __init__(self, kid: str) -> None:
        self._kid = kid

    def get_kid(self) -> str:
        return self._kid


def to_registration(platform: Platform, signing: keys.SigningKey) -> ToolRegistration:
    registration = ToolRegistration(signing.kid)
    registration.set_issuer(platform.issuer)
    registration.set_client_id(platform.client_id)
    registration.set_auth_login_url(platform.auth_login_url)
    registration.set_auth_token_url(platform.auth_token_url)
    if platform.auth_audience:
        registration.set_auth_audience(platform.auth_audience)
    registration.set_key_set_url(platform.key_set_url)
    registration.set_key_set(platform.jwks_cache)  # type: ignore[arg-type]
    registration.set_tool_private_key(signing.private_pem)
    return registration


class DatabaseToolConf(ToolConfAbstract[Any]):
    """Registrations keyed by (issuer, client_id): several client ids per issuer (Canvas, Blackboard)."""

    def __init__(self, session: Session, box: SecretBox) -> None:
        self._session = session
        self._box = box

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def _platform(self, iss: str, client_id: str | None) -> Platform | None:
        stmt = select(Platform).where(Platform.issuer == iss, Platform.active.is_(True))
        if client_id:
            stmt = stmt.where(Platform.client_id == client_id)
        found = list(self._session.scalars(stmt.limit(2)))
        return found[0] if len(found) == 1 else None

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        platform = self._platform(iss, None)
        if platform is None:
            raise LookupError(f"no single active registration for issuer {iss}")
        return to_registration(platform, keys.signing_key(self._session, self._box))

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        platform = self._platform(iss, client_id)
        if platform is None:
            raise LookupError(f"no active registration for issuer {iss} and this client id")
        return to_registration(platform, keys.signing_key(self._session, self._box))

    def find_deployment(self, iss: str, deployment_id: str) -> PyltiDeployment | None:
        return self._deployment(iss, None, deployment_id)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> PyltiDeployment | None:
        return self._deployment(iss, client_id, deployment_id)

    def _deployment(self, iss: str, client_id: str | None, deployment_id: str) -> PyltiDeployment | None:
        platform = self._platform(iss, client_id)
        if platform is None:
            return None
        row = self._session.scalars(
            select(Deployment).where(
                Deployment.platform_id == platform.id,
                Deployment.deployment_id == deployment_id,
                Deployment.active.is_(True),
            )
        ).first()
        return None if row is None else PyltiDeployment().set_deployment_id(row.deployment_id)

    def get_jwks(self, iss: str | None = None, client_id: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """The tool's published keys (the same for every registration)."""
        return keys.jwks(self._session)
