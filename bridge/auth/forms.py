"""Forms of the console login and of admin accounts (Flask-WTF: CSRF token included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length


class LoginForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no type hints
    username = StringField(
        _l("Identifiant"),
        validators=[InputRequired(message=_l("Saisissez votre identifiant.")), Length(max=200)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[InputRequired(message=_l("Saisissez votre mot de passe.")), Length(max=1000)],
        render_kw={"autocomplete": "current-password"},
    )


class AdminCreateForm(FlaskForm):  # type: ignore[misc]
    username = StringField(
        _l("Identifiant"),
        description=_l("De 3 à 64 caractères : lettres minuscules, chiffres, point, tiret, tiret bas ou @."),
        validators=[InputRequired(message=_l("Saisissez un identifiant.")), Length(max=64)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    display_name = StringField(
        _l("Nom affiché (facultatif)"),
        validators=[Length(max=200, message=_l("Le nom affiché ne doit pas dépasser 200 caractères."))],
        render_kw={"autocomplete": "off"},
    )
    role = RadioField(
        _l("Rôle"),
        choices=[
            SelectChoice("full", _l("Administration complète : toutes les pages de la console")),
            SelectChoice("read", _l("Consultation : le suivi des campagnes, sans modification")),
        ],
        default="full",
        validators=[InputRequired(message=_l("Choisissez un rôle."))],
    )
    password = PasswordField(
        _l("Mot de passe"),
        description=_l(
            "Au moins 12 caractères, en mêlant au moins deux sortes : minuscules, majuscules, chiffres "
            "ou symboles."
        ),
        validators=[InputRequired(message=_l("Saisissez un mot de passe."))],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Confirmation du mot de passe"),
        validators=[
            InputRequired(message=_l("Saisissez à nouveau le mot de passe.")),
            EqualTo("password", message=_l("Les deux mots de passe ne sont pas identiques.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
