"""What the "Plateformes" page shows of the one-time dynamic-registration links: the rows, who created them,
the hosts allowed without a link. The work on links is done by lti.registration_links, shared with
``flask --app wsgi lti registration-link-*``."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.auth.models import AdminUser
from bridge.console.forms import RegistrationLinkForm
from bridge.core.db import get_session
from lti import registration_links as links
from lti.current import get_runtime
from lti.models import RegistrationLink


def creator_names(session: Session, rows: list[RegistrationLink]) -> dict[str, str]:
    """``created_by``/``revoked_by`` -> what the page shows: an account's username, or "command line"."""
    names: dict[str, str] = {}
    ids: set[int] = set()
    for link in rows:
        for actor in (link.created_by, link.revoked_by or ""):
            prefix, _sep, rest = actor.partition(":")
            if prefix == "admin" and rest.isdigit():
                ids.add(int(rest))
            elif prefix == "cli":
                names[actor] = (
                    _("ligne de commande (%(user)s)", user=rest) if rest else _("ligne de commande")
                )
    if ids:
        for user_id, username in session.execute(
            select(AdminUser.id, AdminUser.username).where(AdminUser.id.in_(ids))
        ):
            names[f"admin:{user_id}"] = username
    return names


def links_context(form: RegistrationLinkForm) -> dict[str, object]:
    """What the "Plateformes" page needs for its registration-link section."""
    session = get_session()
    rows = links.list_links(session)
    return {
        "link_form": form,
        "links": [(link, links.status(link)) for link in rows],
        "link_creators": creator_names(session, rows),
        "registration_hosts": get_runtime().registration_hosts,
    }
