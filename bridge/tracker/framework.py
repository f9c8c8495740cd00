"""The shipped competence framework, parsed once per process (pages and API read it on every request)."""

from __future__ import annotations

from functools import cache

from config.framework import Framework, load_framework


@cache
def framework() -> Framework:
    return load_framework()
