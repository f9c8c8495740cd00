"""Demo data seeders run by `flask --app wsgi bridge setup --demo` (the run command, development only).

Each domain adds its seeder here: a function (session, settings) -> one-line summary, idempotent (it
leaves existing data alone and only fills what is missing).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from bridge.campaigns.demo_data import seed_demo as seed_tracker_demo
from bridge.catalog.demo import seed_catalogue
from config.settings import Settings
from lti.demo.seed import seed_demo_platform

Seeder = Callable[[Session, Settings], str]

# The tracker's demo campaigns last: they use the catalogue's trainings.
DEMO_SEEDERS: list[tuple[str, Seeder]] = [
    ("LTI platform", seed_demo_platform),
    ("catalogue", seed_catalogue),
    ("tracker", seed_tracker_demo),
]
