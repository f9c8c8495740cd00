"""Demo data seeders run by `flask --app wsgi bridge setup --demo` (the run command, development only).

Each domain adds its seeder here: a function (session, settings) -> one-line summary, idempotent (it
leaves existing data alone and only fills what is missing).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from bridge.campaigns.demo_data import seed_demo as seed_tracker_demo
from config.settings import Settings

Seeder = Callable[[Session, Settings], str]

# The tracker's demo campaigns last: they use the catalogue's trainings when other seeders made them.
DEMO_SEEDERS: list[tuple[str, Seeder]] = [("tracker", seed_tracker_demo)]
