"""Access to the validated Settings object from inside the app."""

from __future__ import annotations

from flask import Flask, current_app

from config.settings import Settings

EXTENSION_KEY = "bridge.settings"


def get_settings(app: Flask | None = None) -> Settings:
    settings: Settings = (app or current_app).extensions[EXTENSION_KEY]
    return settings
