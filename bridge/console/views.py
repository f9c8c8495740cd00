"""The console blueprint with every page of this package registered (importing a page module adds its
routes to ``bp``)."""

from bridge.console import (  # noqa: F401 - imported for their routes
    pages_accounts,
    pages_audit,
    pages_home,
    pages_lms,
    pages_lti,
)
from bridge.console.blueprint import bp

__all__ = ["bp"]
