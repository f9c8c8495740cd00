"""Refusals of the LTI adapter: one exception, one catalogue of error codes.

Every refusal carries an HTTP status (always 4xx for bad input; 502/503 only when the *platform* cannot be
reached), a stable code (``lti.*``, shown on the page and documented in docs/lti.md) and a short reason in
plain French (translated with the rest of the interface). Tokens are never put in messages or logs.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l


class LtiLaunchError(Exception):
    """A refusal meant for the person in front of the screen. The app renders it as an error page."""

    def __init__(self, status: int, code: str, message: str | LazyString) -> None:
        super().__init__(f"{code} ({status})")
        self.status = status
        self.code = code
        self.message = str(message)


@dataclass(frozen=True)
class Refusal:
    status: int
    message: LazyString


def _catalogue() -> dict[str, Refusal]:
    return {
        # Login initiation
        "lti.login_missing_iss": Refusal(400, _l("La plateforme n'a pas indiqué son identifiant (iss).")),
        "lti.login_missing_hint": Refusal(
            400, _l("La plateforme n'a pas indiqué l'utilisateur (login_hint).")
        ),
        "lti.unknown_platform": Refusal(
            400, _l("Cette plateforme de formation n'est pas enregistrée auprès de PACNum.")
        ),
        "lti.ambiguous_platform": Refusal(
            400,
            _l(
                "Plusieurs enregistrements existent pour cette plateforme : elle doit indiquer son client_id."
            ),
        ),
        "lti.platform_inactive": Refusal(403, _l("L'enregistrement de cette plateforme est désactivé.")),
        "lti.bad_target_link_uri": Refusal(
            400, _l("L'adresse de lancement demandée n'appartient pas à PACNum.")
        ),
        # Launch: transport and format
        "lti.id_token_missing": Refusal(400, _l("La plateforme n'a pas transmis de jeton d'identité.")),
        "lti.not_a_jwt": Refusal(400, _l("Le jeton d'identité reçu n'est pas un jeton JWT.")),
        "lti.malformed_jwt": Refusal(400, _l("Le jeton d'identité reçu est mal formé.")),
        "lti.state_missing": Refusal(400, _l("Le paramètre « state » manque : le lancement est incomplet.")),
        "lti.state_unknown": Refusal(
            400, _l("Ce lancement est inconnu ou a expiré. Relancez l'activité depuis votre plateforme.")
        ),
        # Launch: signature and claims
        "lti.unknown_kid": Refusal(
            401, _l("La clé de signature du jeton n'est pas publiée par la plateforme.")
        ),
        "lti.bad_signature": Refusal(401, _l("La signature du jeton d'identité n'est pas valide.")),
        "lti.expired": Refusal(
            401, _l("Le jeton d'identité a expiré. Relancez l'activité depuis votre plateforme.")
        ),
        "lti.iat_future": Refusal(
            401, _l("Le jeton d'identité est daté dans le futur : les horloges ne sont pas synchronisées.")
        ),
        "lti.wrong_iss": Refusal(401, _l("Le jeton d'identité ne vient pas de la plateforme attendue.")),
        "lti.wrong_aud": Refusal(401, _l("Le jeton d'identité n'est pas destiné à PACNum.")),
        "lti.azp_mismatch": Refusal(401, _l("Le jeton d'identité est destiné à un autre outil (azp).")),
        "lti.nonce_mismatch": Refusal(401, _l("Le jeton d'identité ne correspond pas à ce lancement.")),
        "lti.nonce_replayed": Refusal(
            401, _l("Ce jeton d'identité a déjà été utilisé. Relancez l'activité depuis votre plateforme.")
        ),
        "lti.wrong_message_type": Refusal(400, _l("Ce type de message LTI n'est pas pris en charge.")),
        "lti.wrong_version": Refusal(400, _l("Seule la version 1.3.0 de LTI est prise en charge.")),
        "lti.missing_sub": Refusal(400, _l("Le jeton d'identité ne désigne aucun utilisateur (sub).")),
        "lti.missing_resource_link": Refusal(400, _l("Le jeton d'identité ne désigne aucune activité.")),
        "lti.missing_deployment": Refusal(400, _l("Le jeton d'identité n'indique pas de déploiement.")),
        "lti.missing_deep_linking_settings": Refusal(
            400, _l("La demande de sélection de contenu est incomplète (deep_linking_settings).")
        ),
        "lti.unknown_deployment": Refusal(
            403,
            _l(
                "Ce déploiement (%(deployment_id)s) vient d'être enregistré : il doit être approuvé par un "
                "administrateur de PACNum avant la première utilisation."
            ),
        ),
        "lti.deployment_pending": Refusal(
            403,
            _l("Ce déploiement (%(deployment_id)s) attend l'approbation d'un administrateur de PACNum."),
        ),
        "lti.deployment_inactive": Refusal(
            403, _l("Ce déploiement (%(deployment_id)s) a été désactivé par un administrateur de PACNum.")
        ),
        "lti.binding_failed": Refusal(
            401,
            _l(
                "Ce lancement n'a pas été commencé dans ce navigateur. "
                "Relancez l'activité depuis votre plateforme."
            ),
        ),
        "lti.launch_expired": Refusal(
            400, _l("Cette page de lancement a expiré. Relancez l'activité depuis votre plateforme.")
        ),
        "lti.deep_linking_forbidden": Refusal(
            403, _l("Seuls les formateurs et les administrateurs peuvent ajouter cette activité.")
        ),
        "lti.unknown_choice": Refusal(400, _l("Le contenu choisi n'existe pas ou plus.")),
        # The platform cannot be reached (not bad input)
        "lti.jwks_unavailable": Refusal(
            502,
            _l("Les clés publiques de la plateforme sont inaccessibles pour le moment. Réessayez plus tard."),
        ),
        "lti.jwks_invalid": Refusal(502, _l("La plateforme publie des clés publiques illisibles.")),
        # Dynamic registration
        "lti.registration_missing_config": Refusal(
            400, _l("L'adresse de configuration de la plateforme (openid_configuration) manque.")
        ),
        "lti.registration_bad_config_url": Refusal(
            400, _l("L'adresse de configuration de la plateforme n'est pas une adresse http(s) valide.")
        ),
        "lti.registration_config_unreachable": Refusal(
            502,
            _l(
                "La configuration de la plateforme est inaccessible. "
                "Vérifiez que la plateforme peut être jointe."
            ),
        ),
        "lti.registration_bad_config": Refusal(
            502, _l("La configuration publiée par la plateforme est incomplète ou illisible.")
        ),
        "lti.registration_issuer_mismatch": Refusal(
            400, _l("L'émetteur annoncé par la plateforme ne correspond pas à l'adresse de sa configuration.")
        ),
        "lti.registration_refused": Refusal(502, _l("La plateforme a refusé l'enregistrement : %(reason)s")),
        "lti.registration_bad_token": Refusal(
            400,
            _l("Le jeton d'enregistrement transmis par la plateforme (registration_token) est illisible."),
        ),
        "lti.registration_endpoint_elsewhere": Refusal(
            400,
            _l(
                "La configuration de la plateforme envoie vers un autre site que le sien (%(name)s) : "
                "PACNum ne l'appelle pas."
            ),
        ),
        "lti.registration_redirect": Refusal(
            502,
            _l(
                "La plateforme a répondu par une redirection : PACNum ne suit pas les redirections pendant "
                "l'enregistrement. Vérifiez l'adresse publique de la plateforme (https, nom exact)."
            ),
        ),
        # Who may register: a one-time link from PACNum's administrator, or an allowed LMS host
        "lti.registration_host_not_allowed": Refusal(
            403,
            _l(
                "PACNum n'accepte pas d'enregistrement dynamique sans lien depuis cette plateforme "
                "(%(host)s). Demandez à l'administrateur de PACNum un lien d'enregistrement, puis collez-le "
                "dans Moodle à la place de cette adresse."
            ),
        ),
        "lti.registration_link_unknown": Refusal(
            404,
            _l(
                "Ce lien d'enregistrement n'existe pas. Vérifiez qu'il a été copié en entier, ou demandez un "
                "nouveau lien à l'administrateur de PACNum."
            ),
        ),
        "lti.registration_link_used": Refusal(
            410,
            _l(
                "Ce lien d'enregistrement a déjà servi : un lien ne sert qu'une fois. Demandez un nouveau "
                "lien à l'administrateur de PACNum."
            ),
        ),
        "lti.registration_link_expired": Refusal(
            410,
            _l(
                "Ce lien d'enregistrement a expiré le %(expired)s (UTC). Demandez un nouveau lien à "
                "l'administrateur de PACNum."
            ),
        ),
        "lti.registration_link_revoked": Refusal(
            410,
            _l(
                "Ce lien d'enregistrement a été révoqué par l'administrateur de PACNum. Demandez-lui un "
                "nouveau lien."
            ),
        ),
        "lti.registration_link_busy": Refusal(
            409,
            _l(
                "Un enregistrement avec ce lien est déjà en cours. Attendez qu'il se termine, ou réessayez "
                "dans une minute."
            ),
        ),
        "lti.registration_link_wrong_host": Refusal(
            403,
            _l(
                "Ce lien d'enregistrement est réservé à la plateforme %(expected)s : il ne peut pas "
                "enregistrer %(host)s. Demandez un lien pour cette plateforme à l'administrateur de PACNum."
            ),
        ),
    }


def refusal(code: str) -> Refusal:
    return _catalogue()[code]


def all_codes() -> list[str]:
    return sorted(_catalogue())


def refuse(code: str, **params: str) -> LtiLaunchError:
    """Build the error for ``code`` (raise it): ``raise refuse("lti.expired")``."""
    entry = _catalogue()[code]
    message = str(entry.message) % params if params else str(entry.message)
    return LtiLaunchError(entry.status, code, message)
