#!/usr/bin/env bash
# System setup for the playground's end-to-end tests: Debian's Chromium at /usr/bin/chromium,
# driven by playwright-core (which downloads no browser of its own). Idempotent and
# non-interactive; installs with apt-get only when the browser is missing, which needs root.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
BROWSER=/usr/bin/chromium

if [ -x "$BROWSER" ] && "$BROWSER" --version >/dev/null 2>&1; then
  echo "setup-browser: ok ($("$BROWSER" --version 2>/dev/null | head -n 1))"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-browser: $BROWSER is missing and installing it needs root (apt-get install chromium)" >&2
  exit 1
fi

apt-get update -qq
# fonts-liberation gives the page a sans-serif face close to the usual system fonts, so
# screenshots taken in CI look like the page in a desktop browser.
apt-get install -y -qq --no-install-recommends chromium fonts-liberation fonts-dejavu-core

[ -x "$BROWSER" ] || { echo "setup-browser: $BROWSER still missing after apt-get" >&2; exit 1; }
echo "setup-browser: ok ($("$BROWSER" --version 2>/dev/null | head -n 1))"
