"""``cityline kpi compute`` and ``cityline kpi schedule``: KPI values from readings (issue 6, C2.b).

Thin shells over :mod:`.compute`. ``compute`` computes every period that has ended (all of them,
one query per KPI); ``schedule`` loops, every ``--every`` minutes computing what is due (periods
never computed at the current spec version, and those still inside the KPI's reporting grace);
``schedule --once`` does one pass, for cron.

Exit status: 0 done, 1 a value refused or a problem reported (a hand-entered measurement left
alone, an invalid spec, a city's store that cannot be read: its damaged part is named, the other
cities go on, and ``schedule`` tries it again at the next pass), 2 unknown city, KPI or user.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date

from cityline.cli import number

from .cli_maintenance import MAX_MINUTES as MAX_EVERY  # a week: a longer pause between passes would overflow it


def add_parser(sub) -> None:
    from cityline.accounts.cli import add_user_option

    p = sub.add_parser("kpi", help="compute KPI values from sensor and system readings (KPI specs)",
                       description="Compute the KPIs that have a computation spec from the city's readings and "
                                   "record one measurement per period of the KPI's frequency, with provenance. "
                                   "See docs/observations.md, 'KPI specs'.")
    ksub = p.add_subparsers(dest="kpi_command", metavar="ACTION")
    ksub.required = True
    c = ksub.add_parser("compute", help="compute every period that has ended and record the measurements",
                        description="For each active KPI computation (or only --kpi), compute the value of every "
                                    "period of the KPI's frequency that has ended and record it as the KPI's "
                                    "measurement (source \"Cityline observations\"). Hand-entered measurements "
                                    "are left alone and reported. Safe to repeat.")
    c.add_argument("city", metavar="CITY", nargs="?", help="city key (default: every city)")
    c.add_argument("--kpi", metavar="KEY", help="only this KPI (even when its computation is inactive)")
    c.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help="where the SQL runs: DuckDB on this machine (default) or Spark (CITYLINE_SPARK_MASTER)")
    c.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD", help="the day to run as (default today)")
    c.add_argument("--json", action="store_true", help="print what was done as JSON")
    add_user_option(c)
    s = ksub.add_parser("schedule", help="keep the KPIs up to date: compute what is due every few minutes",
                        description="Loop for ever: every --every minutes, compute the periods that are due "
                                    "(never computed at the spec's current version, or still within the KPI's "
                                    "reporting grace, when late readings may arrive). --once: one pass (cron).")
    s.add_argument("city", metavar="CITY", nargs="?", help="city key (default: every city)")
    s.add_argument("--every", type=number(0, MAX_EVERY, above=True, what="a number of minutes"), default=15.0,
                   metavar="MINUTES", help=f"minutes between passes, at most {MAX_EVERY} (default 15)")
    s.add_argument("--once", action="store_true", help="one pass, then exit")
    s.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb", help="as for compute")
    s.add_argument("--json", action="store_true", help="print each pass as JSON")
    add_user_option(s)
    p.set_defaults(func=run)


class _Unknown(Exception):
    pass


def _cities(key: str | None):
    from cityline.core.models import City

    if key is None:
        return list(City.objects.order_by("key"))
    city = City.objects.filter(key=key).first()
    if city is None:
        keys = ", ".join(City.objects.order_by("key").values_list("key", flat=True)) or "none"
        raise _Unknown(f"no city {key!r} (cities: {keys})")
    return [city]


def _user(args, city):
    from cityline.accounts import operations as accounts
    from cityline.accounts.cli import acting_principal

    try:
        principal = acting_principal(args)
    except accounts.Refused as exc:
        raise _Unknown(str(exc)) from None
    if principal.operator:
        return None
    accounts.require_programme_admin(principal, city.key)
    return principal.user


def _progress(label: str, enabled: bool):
    from tqdm import tqdm

    def wrap(items):
        return tqdm(items, desc=label, unit="KPI", file=sys.stderr, leave=False, disable=not enabled)

    return wrap


def _engine_errors(engine: str) -> tuple[type[Exception], ...]:
    """What computing one city's KPIs raises when its store cannot be read or the engine fails on it: reported for
    that city, and the other cities go on (on Spark too: a Java exception of a damaged part, ...)."""
    import duckdb

    from .store import LayoutError

    if engine != "spark":
        return duckdb.Error, LayoutError
    try:
        from . import spark
    except ImportError as exc:
        raise _Unknown(f"--engine spark needs pyspark ({exc}): pip install 'cityline[spark]'") from None
    return (duckdb.Error, LayoutError, *spark.ERRORS)


def _engine_message(exc: Exception) -> str:
    """The engine's or the store's own message, its first line (DuckDB's names the file)."""
    if type(exc).__module__.startswith(("py4j", "pyspark")):
        from . import spark

        return spark.message(exc)
    return (str(exc).strip() or type(exc).__name__).splitlines()[0]


def _store_problems(city, exc: Exception) -> list[str]:
    """What stopped the reading of a city's store: its parts whose footer cannot be read, each named with the
    advice ``cityline observations compact`` gives, else the store's or the engine's own message."""
    from .registry import store_to_read
    from .store import UnreadablePart, part_footer

    problems = []
    for part in store_to_read(city).files():
        try:
            part_footer(part)
        except UnreadablePart as damaged:
            problems.append(f"{part}: not a readable Parquet part ({damaged.__cause__}); move the file out of the "
                            "store (or restore it from a backup)")
    return problems or [_engine_message(exc)]


def _pass(args, *, due_only: bool) -> tuple[list[dict], int]:
    from .compute import compute_city, computations_of

    errors = _engine_errors(args.engine)
    out, status = [], 0
    for city in _cities(args.city):
        if getattr(args, "kpi", None) and not computations_of(city, args.kpi):
            raise _Unknown(f"no KPI computation for KPI {args.kpi!r} in {city.key}")
        user = _user(args, city)
        try:
            results = compute_city(city, engine=args.engine, today=getattr(args, "on", None), user=user,
                                   kpi=getattr(args, "kpi", None), due_only=due_only,
                                   progress=_progress(f"kpi {city.key}", not args.json and sys.stderr.isatty()))
        except errors as exc:  # one city's damaged store (or the engine failing on it): the other cities go on
            again = "; the next pass tries again" if args.kpi_command == "schedule" and not args.once else ""
            for problem in _store_problems(city, exc):
                print(f"error: {city.key}: {problem}; its KPIs were not computed{again}", file=sys.stderr)
            status = 1
            continue
        for r in results:
            out.append({"city": city.key, **r.as_dict()})
            if r.problems or r.count("refused"):
                status = 1
    return out, status


def _print(results: list[dict]) -> None:
    from django.utils.translation import gettext as _

    if not results:
        print(_("No KPI computation to run."))
    for r in results:
        print(_("%(city)s %(kpi)s (%(engine)s): %(written)s written, %(unchanged)s unchanged, %(no_data)s without "
                "readings, %(refused)s refused") % r)
        for problem in r["problems"]:
            print(f"  {problem}")
        for p in r["periods"]:
            if p["status"] == "refused" and p["detail"] not in r["problems"]:
                print(f"  {p['period_end']}: {p['detail']}")


def run(args: argparse.Namespace) -> int:
    from cityline.accounts import operations as accounts
    from cityline.cli import _migrate

    _migrate()
    try:
        if args.kpi_command == "compute":
            results, status = _pass(args, due_only=False)
            print(json.dumps(results, indent=2)) if args.json else _print(results)
            return status
        while True:
            results, status = _pass(args, due_only=True)
            print(json.dumps(results)) if args.json else _print(results)
            sys.stdout.flush()
            if args.once:
                return status
            time.sleep(max(args.every, 0.1) * 60)
    except _Unknown as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except accounts.Refused as exc:
        print(f"error: {exc}; nothing was changed", file=sys.stderr)
        return 2
