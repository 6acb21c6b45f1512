"""``cityline ingest [--city CITY] FILE...``: store readings from CSV, JSON lines and Parquet files (issue 6).

A thin shell over :func:`.bulk.load`: every file is checked before anything is stored, and the
first bad row stops the command with exit status 1, naming the file, row and column (nothing is
stored then). Big files take the bulk path (DuckDB straight to Parquet; see docs/observations.md,
"Ingesting readings"). Loading the same file again changes nothing: a reading is stored once per
series and time. Exit status: 0 stored, 1 refused, 2 unknown city or unreadable arguments.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    from .files import FORMATS

    p = sub.add_parser(
        "ingest", help="store readings from CSV, JSON lines or Parquet files (all or nothing)",
        description="Store the readings of one or more files in the city's observation store. Columns: series "
                    "(a series key of the city), time (ISO 8601 with a time zone, or epoch seconds), value, and "
                    "optionally quality and message_id. Every file is checked first: the first bad row stops the "
                    "command, naming the file, row and column, and nothing is stored. Loading a file again stores "
                    "each reading once. `cityline ingest mqtt` is the streaming consumer.")
    p.add_argument("files", nargs="+", metavar="FILE", help="CSV (.csv), JSON lines (.jsonl, .ndjson) or Parquet "
                                                            "(.parquet) file; .csv.gz, .jsonl.gz: "
                                                            "compressed")
    p.add_argument("--city", help="city key (default: CITYLINE_DEFAULT_CITY, or the only city)")
    p.add_argument("--format", choices=FORMATS, help="the files' format (default: from each file's extension)")
    path = p.add_mutually_exclusive_group()
    path.add_argument("--bulk", dest="bulk", action="store_true", default=None,
                      help="take the bulk path for every file (default: files over 1 million rows or 64 MiB)")
    path.add_argument("--no-bulk", dest="bulk", action="store_false",
                      help="read every file in memory and store it through the normal write path")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def resolve_city(key: str | None):
    """The city named, else ``CITYLINE_DEFAULT_CITY``, else the only city (``LookupError`` otherwise)."""
    from django.conf import settings

    from cityline.core.models import City

    key = key or getattr(settings, "CITYLINE_DEFAULT_CITY", "")
    if key:
        city = City.objects.filter(key=key).first()
        if city is None:
            known = ", ".join(City.objects.order_by("key").values_list("key", flat=True)) or "none"
            raise LookupError(f"no city with key {key!r} (cities here: {known})")
        return city
    cities = list(City.objects.order_by("key")[:2])
    if len(cities) != 1:
        raise LookupError("give --city KEY (the instance hosts " + ("no city" if not cities else "several cities") + ")")
    return cities[0]


def run(args: argparse.Namespace) -> int:
    from cityline.cli import _migrate

    _migrate()
    from tqdm import tqdm

    from . import bulk
    from .files import FileError, InputFile

    try:
        city = resolve_city(args.city)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        sources = [InputFile(path, args.format, name=path) for path in args.files]  # named as given
    except FileError as exc:
        print(f"error: {exc}; nothing was stored", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    hints = [s.rows_hint for s in sources]
    total = sum(hints) if all(h is not None for h in hints) else None
    with tqdm(total=total, unit="rows", unit_scale=True, disable=True if args.quiet else None,
              desc="reading", file=sys.stderr) as bar:
        try:
            report = bulk.load(city, sources, bulk=args.bulk, progress=bar.update)
        except FileError as exc:
            bar.close()
            print(f"error: {exc}; nothing was stored", file=sys.stderr)
            return 1
    if not report.rows:
        print(f"{city.key}: no readings in {', '.join(s.name for s in sources)}; nothing stored.")
        return 0
    print(f"{city.key}: stored {report.rows:,} readings of {len(report.series)} series, "
          f"{report.first.isoformat()} to {report.last.isoformat()}.")
    return 0
