"""The ``cityline`` command: everything a user runs.

Each subcommand is a thin shell over a function in the area that owns the work
(packs in ``cityline.core.packs``, the static site in ``cityline.portal.publish``).
``cityline manage ...`` passes anything else to Django's management commands.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from datetime import date
from collections.abc import Callable
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
#: Seconds ``cityline serve``'s threads keep their database connection when ``CITYLINE_DB_CONN_MAX_AGE`` is
#: not set: opening and closing one per request cost about a quarter of a single NGSI-LD upsert's time
#: (bench/README.md, "NGSI-LD upserts"). Other commands keep Django's default (a connection per request).
SERVE_CONN_MAX_AGE = 600


def whole_number(low: int, high: int | None = None, *, what: str = "a whole number") -> Callable[[str], int]:
    """An option's type: a whole number from ``low`` (to ``high``, both included); argparse names the option and
    exits 2 when the value is not one."""
    span = f"from {low} to {high}" if high is not None else f"of {low} or more"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text!r}: give {what} {span}")
        return value

    return parse


#: An option's value: a whole number above 0.
positive_int = whole_number(1)
#: An option's value: a whole number of 0 or more (0 usually meaning "none" or "never", as its help says).
non_negative_int = whole_number(0)
#: An option's value: a TCP port, 1 to 65535.
port = whole_number(1, 65535, what="a port number")


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def number(low: float, high: float | None = None, *, above: bool = False,
           what: str = "a number") -> Callable[[str], float]:
    """An option's type: a finite number from ``low`` (above it, with ``above``) to ``high``, both included;
    argparse names the option and exits 2 when the value is not one. The upper bound is for the options whose value
    becomes a pause, a date or a count of steps: a huge one would overflow there long after parsing."""
    if above:
        span = f"above {_shown(low)}" + (f" and at most {_shown(high)}" if high is not None else "")
    else:
        span = f"from {_shown(low)} to {_shown(high)}" if high is not None else f"of {_shown(low)} or more"

    def parse(text: str) -> float:
        value = _finite(text)
        if value < low or (above and value == low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text!r}: give {what} {span}")
        return value

    return parse


def _shown(value: float) -> str:
    return f"{value:.15g}"  # 100000, 0.001, 10080: as written, without an exponent


#: An option's value: a finite number above 0.
positive_float = number(0, above=True)
#: An option's value: a finite number of 0 or more (0 meaning "never" or "off", as its help says).
non_negative_float = number(0)


#: The most a listing command prints (``--limit``): beyond the database's integers long before it would matter.
MAX_LIMIT = 1_000_000
#: The most threads ``cityline serve`` starts: each is a thread and, under load, a database connection.
MAX_THREADS = 1000


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityline.settings")
    import django

    django.setup()


def _migrate(verbose: bool = False) -> None:
    from django.conf import settings
    from django.core.management import call_command

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    if not verbose and not _unapplied_migrations():
        return  # the usual case: nothing to do, and `migrate` would still spend seconds rebuilding every model's state
    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)


def _unapplied_migrations() -> bool:
    """Whether the database lacks any migration (what ``migrate --check`` asks, without its full run)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def cmd_migrate(args: argparse.Namespace) -> int:
    _migrate(verbose=True)
    return 0


def _keep_connections() -> None:
    """Let the server's threads keep their database connections, checked before reuse (a restarted
    database costs no failed request), unless ``CITYLINE_DB_CONN_MAX_AGE`` says otherwise."""
    if "CITYLINE_DB_CONN_MAX_AGE" in os.environ:
        return
    from django.db import connections

    for alias in connections:
        # Read by each connection when it opens: the threads' connections, all opened after this.
        connections.settings[alias].update(CONN_MAX_AGE=SERVE_CONN_MAX_AGE, CONN_HEALTH_CHECKS=True)


def _background_compaction(minutes: float):
    """Compact the observation store of every city that has one, every ``minutes`` (a thread; 0: never).

    NGSI-LD and HTTP ingestion write a part per request; without this (or a cron'd ``cityline
    observations compact``) the parts of a busy feed pile up and slow every read of their month.
    """
    from cityline.core.models import City
    from cityline.observations.maintenance import Compactor
    from cityline.observations.registry import store_root

    def cities() -> list:
        return [city for city in City.objects.order_by("key") if store_root(city).is_dir()]

    compactor = Compactor(cities, minutes, out=lambda line: print(line, flush=True))
    compactor.start()
    return compactor


def cmd_serve(args: argparse.Namespace) -> int:
    from waitress import serve

    from cityline.wsgi import application

    _keep_connections()
    compactor = _background_compaction(args.compact_every)
    print(f"Cityline is serving at http://{args.host}:{args.port}/  (Ctrl+C stops it)", flush=True)
    try:
        serve(application, host=args.host, port=args.port, threads=args.threads, ident="cityline")
    finally:
        compactor.stop()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from cityline.core import demo

    _migrate()
    info = demo.prepare_demo()
    print(demo.describe(info, host=args.host, port=args.port), flush=True)
    if args.no_serve:
        return 0
    return cmd_serve(args)


def cmd_pack(args: argparse.Namespace) -> int:
    from cityline.core.packs import commands

    if args.pack_command in ("import", "validate"):
        _migrate()  # model rules are checked against the database, even when validating
    return commands.run(args)


def cmd_publish(args: argparse.Namespace) -> int:
    from cityline.portal import publish

    return publish.run(args)


def cmd_history(args: argparse.Namespace) -> int:
    from cityline.core import history

    return history.print_history(city_key=args.city, limit=args.limit)


def cmd_audit(args: argparse.Namespace) -> int:
    from cityline.core import audit

    _migrate()
    if args.audit_command == "head":
        return audit.cli_head()
    return audit.cli_verify(args.city)


#: ``cityline benefits ACTION``: action → "module:function" taking the parsed arguments.
BENEFITS_ACTIONS = {
    "load-catalogue": "cityline.benefits.imports:cli_load_catalogue",
    "import-indicators": "cityline.benefits.imports:cli_import_indicators",
    "import-measurements": "cityline.benefits.imports:cli_import_measurements",
    "check": "cityline.benefits.services:cli_check",
    "status": "cityline.benefits.realisation:cli_status",
    "board-pack": "cityline.delivery.boardpack:cli_board_pack",
    "remind": "cityline.delivery.reminders:cli_remind",
}


def cmd_benefits(args: argparse.Namespace) -> int:
    from importlib import import_module

    _migrate()
    module, func = BENEFITS_ACTIONS[args.benefits_command].split(":")
    return int(getattr(import_module(module), func)(args) or 0)


def cmd_services(args: argparse.Namespace) -> int:
    from cityline.citizen_services import imports

    _migrate()
    return imports.cli_import_audit(args)


def cmd_assess(args: argparse.Namespace) -> int:
    from cityline.assessment import cli

    return cli.run(args)


def cmd_check(args: argparse.Namespace) -> int:
    from cityline.core import checks

    messages = checks.run(deploy=args.deploy)
    for message in messages:
        level = {10: "debug", 20: "info", 30: "warning", 40: "error"}.get(message.level, "critical")
        print(f"{message.id} [{level}] {message.msg}")
        if message.hint:
            print(f"    fix: {message.hint}")
    failing = checks.failing(messages)
    if failing:
        print(f"{len(failing)} problem(s) to fix before going live." if args.deploy else f"{len(failing)} problem(s).",
              file=sys.stderr)
        return 1
    print("No problems found.")
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["cityline manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cityline",
        description="Cityline: the system of record and public window of a smart city programme (ISO 37106).",
        epilog="Settings come from the environment: DATABASE_URL (default: SQLite in ./var), "
        "CITYLINE_DATA_DIR, CITYLINE_SECRET_KEY, CITYLINE_ALLOWED_HOSTS. Commands that write act as the local "
        "operator (who owns the instance) unless --user NAME or CITYLINE_USER names a user whose roles "
        "then decide. See docs/.",
    )
    from cityline.accounts.cli import add_user_option
    from cityline.observations.cli_maintenance import MAX_MINUTES, minutes as compaction_minutes

    add_user_option(parser)  # also accepted after the command, on the commands that write
    parser.set_defaults(accepts_user=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def add_server_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
        p.add_argument("--port", type=port, default=DEFAULT_PORT, help=f"port, 1 to 65535 (default {DEFAULT_PORT})")
        p.add_argument("--threads", type=whole_number(1, MAX_THREADS), default=8,
                       help=f"worker threads, 1 to {MAX_THREADS} (default 8)")
        p.add_argument("--compact-every", type=compaction_minutes, default=1.0, metavar="MINUTES",
                       help="compact the cities' observation stores in the background this often, at most "
                            f"{MAX_MINUTES} (a week) (default 1; 0: never, e.g. when 'cityline observations compact' "
                            "runs from cron)")

    p = sub.add_parser("demo", help="set up the demo city (once) and serve it",
                       description="Migrate the database, load the demo city pack if the demo city is not there yet, "
                       "create the demo editor account, and serve at http://127.0.0.1:8000/.")
    add_server_options(p)
    p.add_argument("--no-serve", action="store_true", help="prepare the demo but do not start the server")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("serve", help="serve Cityline over HTTP (waitress)")
    add_server_options(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="create or upgrade the database tables")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("pack", help="validate, import or export a city pack (the operating model as YAML files)",
                       description="City packs are folders of YAML files, one per area; see docs/city-packs.md.")
    pack_sub = p.add_subparsers(dest="pack_command", metavar="ACTION")
    pack_sub.required = True
    pv = pack_sub.add_parser("validate", help="check a pack without writing anything")
    pv.add_argument("directory", type=Path)
    pi = pack_sub.add_parser("import", help="create the pack's city, or replace its operating model, in one transaction")
    pi.add_argument("directory", type=Path)
    pi.add_argument("--dry-run", action="store_true", help="report what would change, then roll back")
    add_user_option(pi)
    pe = pack_sub.add_parser("export", help="write a city's operating model as a pack")
    pe.add_argument("directory", type=Path)
    pe.add_argument("--city", help="city key (needed when the instance hosts several cities)")
    p.set_defaults(func=cmd_pack)

    p = sub.add_parser("publish", help="write the whole public site as static files",
                       description="Render every public page (all cities, all languages) and its data downloads "
                       "into a folder any web server can host.")
    p.add_argument("--out", type=Path, required=True, help="output folder (created; existing files are replaced)")
    p.add_argument("--city", help="only this city (key)")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("history", help="show the latest changes to a city's operating model")
    p.add_argument("--city", help="city key")
    p.add_argument("--limit", type=whole_number(1, MAX_LIMIT), default=50,
                   help=f"how many changes per city, 1 to {MAX_LIMIT} (default 50)")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("audit", help="the tamper-evident audit trail: verify the hash chain, show its head",
                       description="Every change in the history is sealed in a hash chain (docs/identity/audit.md).")
    audit_sub = p.add_subparsers(dest="audit_command", metavar="ACTION")
    audit_sub.required = True
    av = audit_sub.add_parser("verify", help="walk the chain and check it against the history; exit 1 with the "
                                             "problems listed")
    av.add_argument("--city", metavar="KEY", help="check this city's history only (the chain is walked in full)")
    audit_sub.add_parser("head", help="print the last entry's sequence number and hash, to publish elsewhere")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("benefits", help="benefit realisation: line-of-sight check, indicator catalogue, measurements",
                       description="Load the indicator catalogue and import CSV files (all or nothing: any error is "
                       "reported with file, line and column, and nothing is written); see "
                       "docs/benefits/indicators-and-kpis.md.")
    benefits_sub = p.add_subparsers(dest="benefits_command", metavar="ACTION")
    benefits_sub.required = True
    benefits_sub.add_parser("load-catalogue", help="load the shipped reference lists (ISO 37120:2014, U4SSC, "
                            "ISO 37120:2018 themes) into the indicator catalogue; safe to repeat")
    bi = benefits_sub.add_parser("import-indicators", help="load a licensed indicator list "
                                 "(CSV: id, name, theme, type, edition[, source]) into the catalogue")
    bi.add_argument("file", type=Path)
    bm = benefits_sub.add_parser("import-measurements", help="import KPI measurements "
                                 "(CSV: kpi, period_end, value[, source, quality, note])")
    bm.add_argument("file", type=Path)
    bm.add_argument("--city", help="city key (needed when the instance hosts several cities)")
    add_user_option(bm)  # a benefit owner records the measurements of their outcome's KPIs only
    bc = benefits_sub.add_parser("check", help="check the benefit map's line of sight (C1) and show where the "
                                 "money goes; see docs/benefits/line-of-sight.md")
    bc.add_argument("--city", help="city key (needed when the instance hosts several cities)")
    bc.add_argument("--json", action="store_true", help="print the report as JSON")
    bc.add_argument("--strict", action="store_true", help="exit with 1 when there is any finding")
    bb = benefits_sub.add_parser("board-pack", help="write the programme board's pack: off-track and at-risk "
                                 "outcomes with owners, causes, KPIs, open actions and risks (C3.d)",
                                 description="The escalation list and the KPI status summary for the programme "
                                 "board (C3.d), as a printable HTML page, a CSV file or a PDF. It includes "
                                 "unpublished KPIs: it is for the board, not the public. See docs/benefits/delivery.md.")
    bb.add_argument("--city", help="city key (needed when the instance hosts several cities)")
    bb.add_argument("--on", metavar="DATE", help="the date to report on, YYYY-MM-DD (default today)")
    bb.add_argument("--format", choices=["html", "csv", "pdf"], default="html", help="file format (default html)")
    bb.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (default: standard output)")
    br = benefits_sub.add_parser("remind", help="e-mail each benefit owner who has something overdue "
                                 "(stale KPI data, plan review, activities) (C3.a)",
                                 description="Send one e-mail per benefit owner listing their KPIs whose data is "
                                 "overdue or missing, plans whose review is overdue and overdue plan activities, "
                                 "through Django's mail settings (EMAIL_*). Owners without an e-mail address are "
                                 "listed, not mailed. See docs/benefits/delivery.md.")
    br.add_argument("--city", help="city key (needed when the instance hosts several cities)")
    br.add_argument("--on", metavar="DATE", help="the date to check against, YYYY-MM-DD (default today)")
    br.add_argument("--dry-run", action="store_true", help="show who would get which e-mail; send nothing")
    bs = benefits_sub.add_parser("status", help="every KPI's status and forecast, and the outcomes at risk with "
                                 "their path of causes (C2, C3.d); see docs/benefits/kpi-status.md")
    bs.add_argument("--city", help="city key (needed when the instance hosts several cities)")
    bs.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD",
                    help="the date to compute the status for (default: today); later measurements are ignored")
    bs.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_benefits)

    p = sub.add_parser("services", help="citizen services and channels: import the channel audit (B11.a)",
                       description="Import channel audit data from CSV (all or nothing: any error is reported with "
                       "file, line and column, and nothing is written); see docs/services-and-channels.md.")
    services_sub = p.add_subparsers(dest="services_command", metavar="ACTION")
    services_sub.required = True
    sa = services_sub.add_parser("import-audit", help="import channel audit rows (CSV: service, channel, year, "
                                 "quarter, transactions, total_cost[, completion_rate, satisfaction, "
                                 "service_level_met])")
    sa.add_argument("file", type=Path)
    sa.add_argument("--city", help="city key (needed when the instance hosts several cities)")
    add_user_option(sa)  # the channel audit is the city's programme administrators'
    p.set_defaults(func=cmd_services)

    p = sub.add_parser("assess", help="ISO 37106 self-assessment: the maturity matrix and the gaps; snapshots, "
                       "their differences and the gap report",
                       description="Assess a city against every ISO 37106 recommendation (docs/assessment.md).")
    p.add_argument("--city", help="city key (default: the only city)")
    p.add_argument("--on", help="assess as on this date, today or later (YYYY-MM-DD, default today; a past date is "
                                "refused: the rules read the records as they are now)")
    p.add_argument("--save", action="store_true", help="store the result as a dated snapshot")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    assess_sub = p.add_subparsers(dest="assess_command", metavar="ACTION")
    ad = assess_sub.add_parser("diff", help="which rules moved between two snapshots, and the record changes behind it")
    ad.add_argument("--city", default=argparse.SUPPRESS, help="city key (default: the only city)")
    ad.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON instead of text")
    ad.add_argument("from_date", metavar="FROM", help="date of the earlier snapshot (YYYY-MM-DD)")
    ad.add_argument("to_date", metavar="TO", help="date of the later snapshot (YYYY-MM-DD)")
    ar = assess_sub.add_parser("report", help="write the gap report (HTML, PDF or CSV)")
    ar.add_argument("--city", default=argparse.SUPPRESS, help="city key (default: the only city)")
    ar.add_argument("--on", default=argparse.SUPPRESS,
                    help="assess as on this date, today or later (YYYY-MM-DD, default today)")
    ar.add_argument("--format", choices=["html", "pdf", "csv"], default="html", help="output format (default html)")
    ar.add_argument("--out", type=Path, help="output file (default: standard output)")
    p.set_defaults(func=cmd_assess)

    from cityline.benchmarking.cli import add_parser as add_benchmark_parser

    add_benchmark_parser(sub)

    from cityline.opendata.cli import add_parser as add_opendata_parser

    add_opendata_parser(sub)

    from cityline.participation.cli import add_parser as add_participation_parser

    add_participation_parser(sub)

    from cityline.observations.cli import add_parser as add_observations_parser

    add_observations_parser(sub)

    from cityline.accounts.cli import add_parser as add_accounts_parser

    add_accounts_parser(sub)

    p = sub.add_parser("check", help="run the system checks; with --deploy also the deployment checks "
                       "(exit 1 on any warning or error)")
    p.add_argument("--deploy", action="store_true",
                   help="also check the settings of a live deployment: DEBUG, secret key, HTTPS, hosts, "
                        "Content-Security-Policy, trust levels, rate limits (docs/security.md)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("manage", help="run a Django management command (createsuperuser, changepassword, ...)",
                       add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    from cityline.observations.cli import rewrite_argv

    parser = build_parser()
    args = parser.parse_args(rewrite_argv(list(sys.argv[1:] if argv is None else argv)))
    from cityline.accounts.cli import check_user_option

    check_user_option(parser, args)
    _setup_django()
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
