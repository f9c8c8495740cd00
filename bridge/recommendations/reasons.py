"""Why a training is recommended, in plain words, from the gaps it closes (stored as reason_data JSON).

The French text is stored in ``Recommendation.reason``; ``render`` rebuilds it in any supported locale
from ``reason_data``, so an English page never shows the French sentence.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bridge.catalog.competences import title
from bridge.recommendations.engine import Gap

VERSION = 1
_PROFILE_GAP = {
    "fr": "Votre niveau en {code} ({title}) est {level} ; l'objectif de votre profil est {goal}.",
    "en": "Your level in {code} ({title}) is {level}; your profile's goal is {goal}.",
}
_BEYOND = {
    "fr": "Votre niveau en {code} ({title}) est {level} ; cette formation mène au niveau {target}.",
    "en": "Your level in {code} ({title}) is {level}; this training leads to level {target}.",
}


def reason_data(gaps: Sequence[Gap], profile: str, score: int) -> dict[str, Any]:
    return {
        "version": VERSION,
        "profile": profile,
        "score": score,
        "gaps": [
            {"competence": g.competence, "level": g.level, "goal": g.goal, "target": g.target} for g in gaps
        ],
    }


def render(data: dict[str, Any], locale: str = "fr") -> str:
    """One sentence per gap toward the profile; when none, one per competence the training develops."""
    lang = "en" if locale == "en" else "fr"
    gaps = [Gap(g["competence"], g["level"], g.get("goal"), g["target"]) for g in data.get("gaps", [])]
    toward_profile = [g for g in gaps if g.closes > 0]
    sentences = [
        _PROFILE_GAP[lang].format(
            code=g.competence, title=title(g.competence, lang), level=g.level, goal=g.goal
        )
        for g in toward_profile
    ] or [
        _BEYOND[lang].format(
            code=g.competence, title=title(g.competence, lang), level=g.level, target=g.target
        )
        for g in gaps
    ]
    return " ".join(sentences)


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
