"""The console's side navigation. A section appears only when its page exists in this app (other
blueprints land independently) and the principal's role may open it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from bridge.auth.principal import AdminPrincipal

Minimum = Literal["full", "read"]


@dataclass(frozen=True)
class NavSection:
    label: str
    endpoint: str
    minimum: Minimum


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool


# Endpoints of the other console blueprints: each blueprint's landing page takes no URL argument.
SECTIONS: tuple[NavSection, ...] = (
    NavSection(_l("Tableau de bord des campagnes"), "tracker.index", "read"),
    NavSection(_l("Campagnes"), "campaigns_admin.index", "full"),
    NavSection(_l("Catalogue"), "catalog_admin.index", "full"),
    NavSection(_l("Plateformes LTI"), "console.platforms", "full"),
    NavSection(_l("Clés de l'outil"), "console.keys", "full"),
    NavSection(_l("Connexions Moodle"), "console.connections", "full"),
    NavSection(_l("Synchronisations"), "sync_admin.index", "full"),
    NavSection(_l("File des notes (AGS)"), "sync_admin.ags", "full"),
    NavSection(_l("Journal d'audit"), "console.audit", "full"),
    NavSection(_l("Comptes administrateurs"), "console.admins", "full"),
)


def section_url(endpoint: str) -> str | None:
    """The URL of a console section, or None when that page is not part of this app (yet)."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint)
    except BuildError:
        return None


def console_nav(principal: AdminPrincipal | None) -> list[NavLink]:
    """The sections this principal may open; the one holding the current page is marked current."""
    if principal is None or not principal.may_enter_console:
        return []
    available: list[tuple[NavSection, str]] = []
    for section in SECTIONS:
        if section.minimum == "full" and not principal.is_full:
            continue
        url = section_url(section.endpoint)
        if url is not None:
            available.append((section, url))
    current = _current_url([url for _, url in available])
    return [NavLink(str(section.label), url, url == current) for section, url in available]


def _current_url(urls: list[str]) -> str | None:
    """The longest section URL that the current path starts with (sub-pages belong to their section)."""
    path = request.path
    matches = [u for u in urls if path == u or path.startswith(u.rstrip("/") + "/")]
    return max(matches, key=len) if matches else None
