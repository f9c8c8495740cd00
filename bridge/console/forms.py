"""Console forms (Flask-WTF: CSRF token included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

# Validity of a registration link, in hours (lti.registration_links bounds it to 1 hour .. 30 days).
LINK_VALIDITY_HOURS = (1, 24, 72, 168, 336, 720)
DEFAULT_LINK_VALIDITY_HOURS = 168


class RegistrationLinkForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    label = StringField(
        _l("Pour qui (facultatif)"),
        description=_l("Par exemple : Moodle de la DGFIP, demande de Mme Martin."),
        validators=[Length(max=200, message=_l("200 caractères au plus."))],
        render_kw={"autocomplete": "off"},
    )
    expected_host = StringField(
        _l("Réserver le lien à une plateforme (facultatif)"),
        description=_l(
            "Le nom d'hôte de la plateforme, par exemple moodle.ministere.gouv.fr (ou "
            "moodle.ministere.gouv.fr:8443). Le lien refusera toute autre plateforme. Vide : le lien "
            "enregistre la plateforme depuis laquelle il est utilisé."
        ),
        validators=[Length(max=300, message=_l("300 caractères au plus."))],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    valid_for = SelectField(
        _l("Durée de validité"),
        choices=[
            SelectChoice("1", _l("1 heure")),
            SelectChoice("24", _l("1 jour")),
            SelectChoice("72", _l("3 jours")),
            SelectChoice("168", _l("7 jours")),
            SelectChoice("336", _l("14 jours")),
            SelectChoice("720", _l("30 jours")),
        ],
        default=str(DEFAULT_LINK_VALIDITY_HOURS),
        validators=[InputRequired(message=_l("Choisissez une durée."))],
    )
