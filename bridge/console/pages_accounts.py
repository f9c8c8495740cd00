"""Console pages of the local admin accounts: list, create, deactivate/reactivate, lift a lockout."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from bridge.auth import operations
from bridge.auth.admin_guard import current_principal, require_admin
from bridge.auth.forms import AdminCreateForm
from bridge.auth.messages import account_error_message, password_messages
from bridge.auth.models import AdminUser
from bridge.auth.passwords import password_problems
from bridge.console.blueprint import bp
from bridge.core.db import get_session
from bridge.core.errors import UserFacingError
from config.database import utcnow


def _actor() -> str:
    principal = current_principal()
    assert principal is not None  # guarded views only
    return principal.actor


def _account(user_id: int) -> AdminUser:
    user = get_session().get(AdminUser, user_id)
    if user is None:
        raise UserFacingError(404, "admin_not_found", _("Ce compte d'administration n'existe pas."))
    return user


@bp.get("/comptes")
@require_admin
def admins() -> str:
    return render_template(
        "admin/admins.html", users=operations.list_admins(get_session()), now=utcnow(), me=_actor()
    )


@bp.route("/comptes/nouveau", methods=["GET", "POST"])
@require_admin
def admin_new() -> Response | str:
    form = AdminCreateForm()
    if form.is_submitted() and _validate(form):
        session = get_session()
        try:
            user = operations.create_admin(
                session, username=form.username.data or "", password=form.password.data or "",
                role=form.role.data or "", display_name=form.display_name.data or "", actor=_actor(),
            )  # fmt: skip
        except operations.AdminAccountError as exc:
            field = form.username if exc.code.startswith("username") else form.display_name
            field.errors = [*field.errors, account_error_message(exc)]
        else:
            session.commit()
            flash(_("Compte « %(name)s » créé.", name=user.username), "success")
            return redirect(url_for(".admins"))
    return render_template("admin/admin_new.html", form=form)


def _validate(form: AdminCreateForm) -> bool:
    """The form's own checks plus the password policy, reported together."""
    valid: bool = form.validate()
    password = form.password.data or ""
    problems = password_problems(password, operations.normalise_username(form.username.data or ""))
    if password and problems:
        form.password.errors = [*form.password.errors, *password_messages(problems)]
        valid = False
    return valid


def _change(user_id: int, action: str) -> Response:
    session = get_session()
    user = _account(user_id)
    try:
        if action == "deactivate":
            operations.deactivate(session, user, actor=_actor())
            message = _("Compte « %(name)s » désactivé.", name=user.username)
        elif action == "activate":
            operations.activate(session, user, actor=_actor())
            message = _("Compte « %(name)s » réactivé.", name=user.username)
        else:
            operations.unlock(session, user, actor=_actor())
            message = _("Compte « %(name)s » débloqué.", name=user.username)
    except operations.AdminAccountError as exc:
        session.rollback()
        flash(account_error_message(exc), "error")
    else:
        session.commit()
        flash(message, "success")
    return redirect(url_for(".admins"))


@bp.post("/comptes/<int:user_id>/desactiver")
@require_admin
def admin_deactivate(user_id: int) -> Response:
    return _change(user_id, "deactivate")


@bp.post("/comptes/<int:user_id>/activer")
@require_admin
def admin_activate(user_id: int) -> Response:
    return _change(user_id, "activate")


@bp.post("/comptes/<int:user_id>/debloquer")
@require_admin
def admin_unlock(user_id: int) -> Response:
    return _change(user_id, "unlock")
