#!/usr/bin/env bash
# Runs the whole test suite on SQLite, then on PostgreSQL.
# PostgreSQL: CITYLINE_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test; pytest-django
# creates and drops its own test_<name> database there). When it is unreachable the PostgreSQL run is
# skipped with a warning, unless CITYLINE_REQUIRE_POSTGRES=1 (CI), which turns that into a failure.
# Extra arguments go to pytest, e.g. scripts/test.sh -k packs
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_URL="${CITYLINE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

run_pytest() {
  local label=$1; shift
  echo "== test suite on $label =="
  "$PY" -m pytest -p no:cacheprovider "$@"
  local rc=$?
  if [ $rc -eq 5 ]; then
    echo "error: pytest collected no tests on $label" >&2
    return 1
  fi
  return $rc
}

status=0
DATABASE_URL= run_pytest SQLite "$@" || status=1

if "$PY" - "$PG_URL" <<'PYEOF'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=5).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {sys.argv[1]}: {exc}", file=sys.stderr)
    sys.exit(1)
PYEOF
then
  DATABASE_URL="$PG_URL" run_pytest PostgreSQL "$@" || status=1
elif [ "${CITYLINE_REQUIRE_POSTGRES:-0}" = 1 ]; then
  echo "error: PostgreSQL is required (CITYLINE_REQUIRE_POSTGRES=1) but not reachable" >&2
  status=1
else
  echo "warning: PostgreSQL not reachable: the suite ran on SQLite only" >&2
fi
exit $status
