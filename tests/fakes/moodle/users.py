"""Fake handlers: core_webservice_get_site_info, core_user_get_users_by_field; user rendering."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.moodle.context import Ctx
from tests.fakes.moodle.state import User
from tests.fakes.moodle.validation import coding_error, invalid_parameter

IMAGE_REV = "1795930204"
ADVANCED_FEATURES = (
    ("usecomments", 1), ("usetags", 1), ("enablenotes", 1), ("messaging", 1), ("enableblogs", 1),
    ("enablecompletion", 1), ("enablebadges", 1), ("messagingallusers", 0), ("enablecustomreports", 1),
    ("enableglobalsearch", 0), ("mnet_dispatcher_mode", 0), ("enablecompetencies", 1),
)  # fmt: skip


def picture(ctx: Ctx, size: str) -> str:
    return f"{ctx.siteurl}/theme/image.php/boost/core/{IMAGE_REV}/u/{size}"


def get_site_info(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    me = ctx.state.users[ctx.userid]
    return {
        "sitename": ctx.sitename,
        "username": me.username,
        "firstname": me.firstname,
        "lastname": me.lastname,
        "fullname": f"{me.firstname} {me.lastname}",
        "lang": "en",
        "userid": me.id,
        "siteurl": ctx.siteurl,
        "userpictureurl": picture(ctx, "f1"),
        "functions": [{"name": n, "version": v} for n, v in ctx.functions],
        "downloadfiles": 0,
        "uploadfiles": 0,
        "release": ctx.release,
        "version": ctx.version,
        "mobilecssurl": "",
        "advancedfeatures": [{"name": n, "value": v} for n, v in ADVANCED_FEATURES],
        "usercanmanageownfiles": True,
        "userquota": 104857600,
        "usermaxuploadfilesize": 67108864,
        "userhomepage": 1,
        "userprivateaccesskey": "REDACTED",
        "siteid": 1,
        "sitecalendartype": "gregorian",
        "usercalendartype": "gregorian",
        "userissiteadmin": False,
        "theme": "boost",
        "limitconcurrentlogins": 0,
        "policyagreed": 0,
    }


def user_details(ctx: Ctx, user: User) -> dict[str, Any]:
    """user_get_user_details as core_user_get_users_by_field returns it (empty idnumber left out)."""
    out: dict[str, Any] = {
        "id": user.id,
        "username": user.username,
        "firstname": user.firstname,
        "lastname": user.lastname,
        "fullname": f"{user.firstname} {user.lastname}",
        "email": user.email,
        "department": "",
    }
    if user.idnumber:
        out["idnumber"] = user.idnumber
    out.update(
        {
            "firstaccess": 0,
            "lastaccess": 0,
            "auth": user.auth,
            "suspended": user.suspended,
            "confirmed": True,
            "lang": "en",
            "theme": "",
            "timezone": "99",
            "mailformat": 1,
            "trackforums": 0,
            "profileimageurlsmall": picture(ctx, "f2"),
            "profileimageurl": picture(ctx, "f1"),
        }
    )
    return out


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def _clean(field: str, value: str) -> str:
    if field == "id":
        match = re.match(r"^\s*(-?\d+)", value)
        return match.group(1) if match else "0"
    if field == "email":
        return value if _EMAIL.match(value) else ""
    return value


def get_users_by_field(ctx: Ctx, params: dict[str, Any]) -> list[dict[str, Any]]:
    field = params["field"]
    if field not in ("id", "idnumber", "username", "email"):
        raise coding_error(
            "invalid field parameter",
            f"The search field '{field}' is not supported, look at the web service documentation",
        )
    state = ctx.state
    ids: set[int] = set()
    for value in params["values"]:
        cleaned = _clean(field, value)
        if cleaned != value:
            raise invalid_parameter(
                f"The field '{field}' value is invalid: {value}(cleaned value: {cleaned})"
            )
        if field == "id":
            ids.update([int(value)] if int(value) in state.users else [])
        elif field == "username":
            ids.update([state.by_username[value]] if value in state.by_username else [])
        elif field == "email":
            ids.update(state.by_email.get(value, []))
        else:
            ids.update(state.by_user_idnumber.get(value, []))
    found = (state.users[i] for i in sorted(ids))
    return [user_details(ctx, u) for u in found if field != "idnumber" or u.idnumber]
