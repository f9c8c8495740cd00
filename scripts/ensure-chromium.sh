#!/usr/bin/env bash
# Browser tests drive Debian's Chromium headless. Install it when missing (needs root, as in CI).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Chromium for the browser tests (apt-get)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "WARNING: chromium is not installed and this user cannot install it;" \
       "browser tests will fail in CI and be skipped locally. Install with: sudo apt-get install chromium" >&2
fi
