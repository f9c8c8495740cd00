"""Reading an answer from the question form, whatever the question kind (request context: messages
are translated).

Form fields: ``choice`` (single choice: one value; multiple choice: several values), ``position-<option
id>`` (ordering: the position 1..n given to each step), ``text`` (short answer), and the submit button
``action`` = ``answer`` or ``dont_know``.
"""

from __future__ import annotations

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from bridge.assessment.bank import Response
from bridge.assessment.bank_model import Item, ItemKind
from bridge.assessment.errors import InvalidAnswer


def _invalid(message: str) -> InvalidAnswer:
    return InvalidAnswer(message, user_message=message)


def read_response(item: Item, form: MultiDict[str, str]) -> Response:
    """The agent's answer (None for « Je ne sais pas »), or InvalidAnswer with a plain reason."""
    if form.get("action") == "dont_know":
        return None
    if item.kind is ItemKind.SHORT_ANSWER:
        text = form.get("text", "")
        if not text.strip():
            raise _invalid(_("Écrivez votre réponse, ou choisissez « Je ne sais pas »."))
        return text
    if item.kind is ItemKind.SINGLE_CHOICE:
        choice = form.get("choice", "")
        if not choice:
            raise _invalid(_("Choisissez une réponse, ou « Je ne sais pas »."))
        return choice
    if item.kind is ItemKind.MULTIPLE_CHOICE:
        choices = form.getlist("choice")
        if not choices:
            raise _invalid(_("Cochez au moins une réponse, ou choisissez « Je ne sais pas »."))
        return choices
    return _ordering(item, form)


def _ordering(item: Item, form: MultiDict[str, str]) -> list[str]:
    count = len(item.options)
    positions: dict[int, str] = {}
    for option in item.options:
        raw = form.get(f"position-{option.id}", "")
        if not raw.isdigit() or not 1 <= int(raw) <= count:
            raise _invalid(_("Donnez une position de 1 à %(count)s à chaque étape.", count=count))
        position = int(raw)
        if position in positions:
            raise _invalid(_("Deux étapes ont la même position : chaque position ne sert qu'une fois."))
        positions[position] = option.id
    return [positions[p] for p in sorted(positions)]
