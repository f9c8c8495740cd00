"""Wording of refused account changes: French (translated) for the console, English for the CLI."""

from __future__ import annotations

from flask_babel import gettext as _

from bridge.auth.operations import AdminAccountError
from bridge.auth.passwords import MAX_LENGTH, MIN_LENGTH, PasswordProblem


def password_messages(problems: list[PasswordProblem]) -> list[str]:
    texts: dict[str, str] = {
        PasswordProblem.TOO_SHORT: _("Le mot de passe doit compter au moins %(n)s caractères.", n=MIN_LENGTH),
        PasswordProblem.TOO_LONG: _("Le mot de passe ne doit pas dépasser %(n)s caractères.", n=MAX_LENGTH),
        PasswordProblem.ONE_CLASS: _(
            "Le mot de passe doit mêler au moins deux sortes de caractères : minuscules, majuscules, "
            "chiffres ou symboles."
        ),
        PasswordProblem.SAME_AS_USERNAME: _("Le mot de passe ne doit pas être l'identifiant."),
    }
    return [texts[p] for p in problems]


def account_error_message(error: AdminAccountError) -> str:
    if error.code == "password_weak":
        return " ".join(password_messages(list(error.params["problems"])))
    texts: dict[str, str] = {
        "username_invalid": _(
            "L'identifiant doit compter de 3 à 64 caractères : lettres minuscules sans accent, chiffres, "
            "point, tiret, tiret bas ou @, en commençant par une lettre ou un chiffre."
        ),
        "username_taken": _("Cet identifiant est déjà utilisé par un autre compte."),
        "role_invalid": _("Choisissez un rôle : administration complète ou consultation."),
        "display_name_too_long": _("Le nom affiché ne doit pas dépasser 200 caractères."),
        "self_deactivation": _("Vous ne pouvez pas désactiver votre propre compte."),
        "last_full_admin": _(
            "C'est le dernier compte d'administration complète actif : créez-en un autre avant de le "
            "désactiver."
        ),
    }
    fallback: str = _("La modification du compte a été refusée.")
    return texts.get(error.code, fallback)


CLI_PASSWORD = {
    PasswordProblem.TOO_SHORT: f"the password must be at least {MIN_LENGTH} characters long",
    PasswordProblem.TOO_LONG: f"the password must be at most {MAX_LENGTH} characters long",
    PasswordProblem.ONE_CLASS: (
        "the password must mix at least two kinds of characters (lower case, upper case, digits, symbols)"
    ),
    PasswordProblem.SAME_AS_USERNAME: "the password must not be the username",
}
CLI_ERRORS = {
    "username_invalid": (
        "the username must be 3-64 characters: lower-case letters without accents, digits, '.', '-', '_' "
        "or '@', starting with a letter or a digit"
    ),
    "username_taken": "this username is already taken (see `flask --app wsgi bridge admin list`)",
    "role_invalid": "the role must be 'full' or 'read'",
    "display_name_too_long": "the display name must be at most 200 characters",
    "self_deactivation": "an account cannot deactivate itself",
    "last_full_admin": (
        "this is the last active full admin account: create another one first "
        "(`flask --app wsgi bridge admin create NAME`)"
    ),
}


def cli_message(error: AdminAccountError) -> str:
    if error.code == "password_weak":
        return "; ".join(CLI_PASSWORD[p] for p in error.params["problems"])
    return CLI_ERRORS.get(error.code, error.code)
