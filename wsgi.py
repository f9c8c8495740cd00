"""WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app`, `flask --app wsgi ...`."""

import sys

from bridge.app import create_app
from config.settings import SettingsError

try:
    app = create_app()
except SettingsError as error:
    sys.stderr.write(f"pacnum-bridge cannot start.\n{error}\n")
    raise SystemExit(2) from None
