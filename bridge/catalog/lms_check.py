"""Check that the Moodle courses named by catalogue entries exist, through the sync client.

Courses named by id are looked up in one ``core_course_get_courses_by_field`` call per connection
(field ``ids``; one call per id when one of them is missing); courses named only by shortname one call
each (field ``shortname``). A course found by
shortname completes the entry's missing course id; an entry without a connection gets the only active
one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.catalog.formats import ParsedEntry
from bridge.catalog.schema import ONLINE_MODALITIES, FieldError
from config.crypto import SecretBox
from sync.models import LmsConnection
from sync.moodle.client import MoodleClient
from sync.moodle.errors import MoodleError, MoodleItemError
from sync.moodle.models import Course

log = logging.getLogger(__name__)

ClientFactory = Callable[[LmsConnection], MoodleClient]


class LmsCheckUnavailableError(RuntimeError):
    """No connection to check against, or Moodle could not be reached."""


def client_factory(box: SecretBox) -> ClientFactory:
    def make(connection: LmsConnection) -> MoodleClient:
        token = box.decrypt(connection.token_encrypted)
        return MoodleClient(
            connection.base_url, token, timeout=(5, 30), max_retries=2, max_parallel=connection.max_parallel
        )

    return make


@dataclass
class _Lookup:
    client: MoodleClient
    by_id: dict[int, Course]
    by_shortname: dict[str, Course | None]


def check_courses(session: Session, entries: Sequence[ParsedEntry], make_client: ClientFactory) -> None:
    """Add a FieldError to each entry whose course is missing; complete course ids and connections."""
    active = list(session.scalars(select(LmsConnection).where(LmsConnection.active.is_(True))))
    if not active:
        raise LmsCheckUnavailableError(
            _("aucune connexion LMS active : ajoutez-en une ou retirez --check-lms")
        )
    default = active[0] if len(active) == 1 else None
    to_check = [e for e in entries if e.data is not None and e.data.modality in ONLINE_MODALITIES]
    lookups: dict[int, _Lookup] = {}
    try:
        for entry in to_check:
            assert entry.data is not None
            connection_id = entry.data.lms_connection_id or (default.id if default else None)
            if connection_id is None:
                entry.errors.append(
                    FieldError("lms_connection", _("plusieurs connexions LMS existent : précisez laquelle"))
                )
                continue
            connection = session.get(LmsConnection, connection_id)
            if connection is None:
                continue  # reported by the catalogue checks
            lookup = lookups.get(connection_id)
            if lookup is None:
                lookup = _prefetch(connection, to_check, make_client, default)
                lookups[connection_id] = lookup
            _check_entry(entry, connection_id, lookup)
    except MoodleError as exc:
        raise LmsCheckUnavailableError(
            _("Moodle ne répond pas comme prévu : %(error)s", error=str(exc))
        ) from exc
    finally:
        for lookup in lookups.values():
            lookup.client.close()


def _prefetch(
    connection: LmsConnection,
    entries: Sequence[ParsedEntry],
    make_client: ClientFactory,
    default: LmsConnection | None,
) -> _Lookup:
    client = make_client(connection)
    ids = sorted(
        {
            e.data.moodle_course_id
            for e in entries
            if e.data is not None
            and e.data.moodle_course_id is not None
            and (e.data.lms_connection_id or (default.id if default else None)) == connection.id
        }
    )
    log.info("checked %d course ids on LMS connection %d", len(ids), connection.id)
    return _Lookup(client, _courses_by_id(client, ids), {})


def _courses_by_id(client: MoodleClient, ids: list[int]) -> dict[int, Course]:
    """One ``ids`` call; Moodle fails that whole call when one id does not exist (no errorcode, see
    moodle-ws.md), so then each id is looked up on its own (``id`` answers an empty list when missing)."""
    if not ids:
        return {}
    try:
        return {c.id: c for c in client.get_courses_by_field("ids", ",".join(map(str, ids)))}
    except MoodleItemError:
        found: dict[int, Course] = {}
        for course_id in ids:
            found.update((c.id, c) for c in client.get_courses_by_field("id", course_id))
        return found


def _check_entry(entry: ParsedEntry, connection_id: int, lookup: _Lookup) -> None:
    data = entry.data
    assert data is not None
    shortname = data.moodle_course_shortname
    if data.moodle_course_id is not None:
        course = lookup.by_id.get(data.moodle_course_id)
        if course is None:
            entry.errors.append(
                FieldError(
                    "moodle_course_id",
                    _("aucun cours Moodle n'a l'identifiant %(id)d", id=data.moodle_course_id),
                )
            )
        elif shortname and course.shortname != shortname:
            entry.errors.append(
                FieldError(
                    "moodle_course_shortname",
                    _(
                        "le cours %(id)d s'appelle « %(actual)s » dans Moodle",
                        id=course.id,
                        actual=course.shortname,
                    ),
                )
            )
        else:
            entry.data = replace(data, lms_connection_id=connection_id)
        return
    if shortname is None:
        return
    if shortname not in lookup.by_shortname:
        found = lookup.client.get_courses_by_field("shortname", shortname)
        lookup.by_shortname[shortname] = found[0] if found else None
    course = lookup.by_shortname[shortname]
    if course is None:
        entry.errors.append(
            FieldError(
                "moodle_course_shortname",
                _("aucun cours Moodle n'a le nom abrégé « %(name)s »", name=shortname),
            )
        )
        return
    entry.data = replace(data, lms_connection_id=connection_id, moodle_course_id=course.id)
