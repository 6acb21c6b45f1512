#!/usr/bin/env bash
# Installs what the browser tests need, if missing: Debian's chromium and axe-core from npm.
# Playwright's own browser download does not work offline; we drive Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "error: the browser tests need Debian's chromium at /usr/bin/chromium: sudo apt-get install chromium" >&2
    exit 1
  fi
fi
if [ ! -f node_modules/axe-core/axe.min.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  command -v npm >/dev/null || { echo "error: npm is needed to install axe-core (apt-get install npm)" >&2; exit 1; }
  npm ci --no-audit --no-fund --loglevel=error
fi
