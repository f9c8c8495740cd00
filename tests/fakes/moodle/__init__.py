"""Fake Moodle web services for tests: ``from tests.fakes.moodle import FakeMoodle``."""

from tests.fakes.moodle.server import FakeMoodle, Fault

__all__ = ["FakeMoodle", "Fault"]
