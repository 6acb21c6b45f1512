#!/usr/bin/env bash
# Installs what the tests need beyond Python packages, if missing: Debian's chromium (browser and
# accessibility tests), gettext's msgfmt (translation checks) and, from npm, axe-core and oidc-provider
# (the OpenID Connect sign-in tests run it on Node.js).
# Playwright's own browser download does not work offline; we drive Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v msgfmt >/dev/null || missing+=(gettext)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian packages for the tests: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "error: the tests need these Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
if [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -f node_modules/oidc-provider/package.json ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# ngsildclient 0.5.2 (the real NGSI-LD client the NGSI-LD test drives) pins httpx<0.24 and networkx<3, which
# clash with Cityline's own pins: it gets a virtual environment of its own, .venv-ngsild, with the versions
# in tests/ngsild-constraints.txt (re-installed when that file changes).
if [ ! -f .venv-ngsild/.installed ] || [ tests/ngsild-constraints.txt -nt .venv-ngsild/.installed ]; then
  python3 -m venv .venv-ngsild
  .venv-ngsild/bin/python -m pip install --quiet --disable-pip-version-check \
    -c tests/ngsild-constraints.txt ngsildclient==0.5.2
  touch .venv-ngsild/.installed
fi
