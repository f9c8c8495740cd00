"""Role target profiles (config/data/profiles.yaml) and the choice of the profile that applies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bridge.campaigns.models import Campaign
from bridge.catalog.competences import MAX_LEVEL, MIN_LEVEL, is_competence
from config.settings import PROJECT_ROOT

PROFILES_FILE = PROJECT_ROOT / "config" / "data" / "profiles.yaml"


class ProfileError(ValueError):
    """The profiles file or a campaign's profile is invalid; the message lists every problem."""


@dataclass(frozen=True)
class Profile:
    code: str
    fr: str
    en: str
    targets: Mapping[str, int]


@dataclass(frozen=True)
class Profiles:
    default: str
    profiles: Mapping[str, Profile]

    def get(self, code: str | None) -> Profile:
        return self.profiles[code] if code and code in self.profiles else self.profiles[self.default]


def check_targets(targets: Mapping[str, Any], where: str) -> list[str]:
    errors = []
    for code, level in targets.items():
        if not is_competence(str(code)):
            errors.append(f"{where}: unknown competence {code!r}")
        if not isinstance(level, int) or isinstance(level, bool) or not MIN_LEVEL <= level <= MAX_LEVEL:
            errors.append(f"{where}: {code}: level must be an integer from {MIN_LEVEL} to {MAX_LEVEL}")
    return errors


def parse_profiles(raw: Any, source: str) -> Profiles:
    if not isinstance(raw, dict) or not isinstance(raw.get("profiles"), dict):
        raise ProfileError(f"{source}: expected a mapping with 'default' and 'profiles'")
    errors: list[str] = []
    profiles = {}
    for code, entry in raw["profiles"].items():
        where = f"{source}: profiles.{code}"
        if not isinstance(entry, dict) or not isinstance(entry.get("targets"), dict):
            errors.append(f"{where}: expected fr, en and targets")
            continue
        errors.extend(check_targets(entry["targets"], where))
        targets = {str(k): int(v) for k, v in entry["targets"].items()}
        profiles[str(code)] = Profile(
            str(code), str(entry.get("fr", code)), str(entry.get("en", code)), targets
        )
    default = str(raw.get("default", ""))
    if default not in profiles:
        errors.append(f"{source}: default: {default!r} is not one of the profiles")
    if errors:
        raise ProfileError("\n".join(errors))
    return Profiles(default, profiles)


def load_profiles(path: Path = PROFILES_FILE) -> Profiles:
    with path.open(encoding="utf-8") as handle:
        return parse_profiles(yaml.safe_load(handle), str(path))


@cache
def shipped_profiles() -> Profiles:
    return load_profiles()


def profile_for(campaign: Campaign | None, profile_code: str | None = None) -> tuple[str, Mapping[str, int]]:
    """(name, targets): the campaign's own target profile, else the named role profile, else the default."""
    if campaign is not None and campaign.target_profile:
        return f"campaign:{campaign.code}", {str(k): int(v) for k, v in campaign.target_profile.items()}
    if profile_code is None and campaign is not None:
        named = (campaign.settings or {}).get("profile")
        profile_code = str(named) if named else None
    profile = shipped_profiles().get(profile_code)
    return profile.code, profile.targets
