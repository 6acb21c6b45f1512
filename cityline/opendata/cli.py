"""``cityline opendata``: uploads, the privacy gate, KPI data and take-up from the command line (issue 4).

Thin shells over :mod:`.services`, :mod:`.kpidata`, :mod:`.takeup` and
:mod:`.domain.stars`. Exit status: 0 done, 1 refused (bad file, blocked dataset, override
refused, ``--user`` without the role), 2 unknown city, dataset, distribution, person or user.
Docs: docs/cli.md and docs/opendata/.

The commands that write act as the local operator, or with ``--user NAME`` (or
``CITYLINE_USER``) as that user, checked by the one authorisation layer (B10): an upload, a
review or an override needs ``change`` on the distribution or dataset (the publisher's data
steward); KPI datasets and take-up need the city's programme administrator.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path


def add_parser(sub) -> None:
    from cityline.accounts.cli import add_user_option

    p = sub.add_parser(
        "opendata", help="open data platform: upload versions, run the privacy gate, publish KPI data and take-up",
        description="Upload new versions of held distributions (validated, converted to Parquet and checked by the "
                    "privacy gate; a refused file changes nothing), re-run the gate, record a steward's override, "
                    "publish the KPIs' measurements and the take-up figures as open datasets, and show Five-Star "
                    "ratings. See docs/opendata/.")
    osub = p.add_subparsers(dest="opendata_command", metavar="ACTION")
    osub.required = True

    u = osub.add_parser("upload", help="store FILE as the next version of a held distribution",
                        description="Validate FILE (CSV, JSON, GeoJSON or Parquet, as the distribution declares; "
                                    "gzip or zip accepted) and store it as the distribution's next version, then "
                                    "run the privacy gate. Errors name the file, row and column; nothing is stored "
                                    "then and the exit status is 1.")
    u.add_argument("city", metavar="CITY", help="city key")
    u.add_argument("dataset", metavar="DATASET", help="dataset key")
    u.add_argument("distribution", metavar="DISTRIBUTION", help="distribution key")
    u.add_argument("file", metavar="FILE", type=Path, help="the file to upload")
    u.add_argument("--encoding", help="text encoding of the file, e.g. latin-1 (default: detected)")
    u.add_argument("--note", default="", help="what changed, in your words (kept with the version)")
    u.add_argument("--json", action="store_true", help="print the new version (or the errors) as JSON")
    add_user_option(u)

    r = osub.add_parser("review", help="run the privacy gate again on a dataset's files",
                        description="Review every stored version of the dataset's held files whose last review "
                                    "used other gate settings (microdata, quasi-identifiers, minimum k, the asset's "
                                    "personal data) or that has none, store the verdicts and print the dataset's "
                                    "(from the latest versions) with its reasons; a steward's override stands "
                                    "unless --force. Exit status 1 when the dataset is blocked.")
    r.add_argument("city", metavar="CITY", help="city key")
    r.add_argument("dataset", metavar="DATASET", help="dataset key")
    r.add_argument("--force", action="store_true",
                   help="review every latest version again, even one already reviewed (this undoes overrides)")
    r.add_argument("--json", action="store_true", help="print the verdict and reasons as JSON")
    add_user_option(r)

    o = osub.add_parser("override", help="release a dataset the privacy gate blocked, as a data steward",
                        description="Record a steward's override of every blocked latest version, with the "
                                    "justification (at least 20 characters). It is kept in the change history.")
    o.add_argument("city", metavar="CITY", help="city key")
    o.add_argument("dataset", metavar="DATASET", help="dataset key")
    o.add_argument("--steward", required=True, metavar="KEY", help="key of the person taking responsibility")
    o.add_argument("--justification", required=True, metavar="TEXT", help="why publishing is acceptable")
    add_user_option(o)

    k = osub.add_parser("sync-kpis", help="publish every published KPI's measurements as open data (C2.g)",
                        description="Create or update one dataset per published KPI (CSV and JSON of its "
                                    "measurements), unpublish those of unpublished KPIs, and refresh the take-up "
                                    "dataset; the engagement KPIs' measurements are computed first and the "
                                    "participation datasets refreshed last. Safe to repeat: a new version only "
                                    "when the content changed.")
    k.add_argument("city", metavar="CITY", help="city key")
    k.add_argument("--json", action="store_true", help="print what was done as JSON")
    add_user_option(k)

    t = osub.add_parser("publish-take-up", help="refresh the open take-up dataset (views, downloads, API calls "
                        "by month)",
                        description="Write the take-up figures of public datasets by month as a new version of the "
                                    "'take-up' dataset when they changed (created the first time).")
    t.add_argument("city", metavar="CITY", help="city key")
    add_user_option(t)

    s = osub.add_parser("stars", help="Five-Star rating of one dataset, or of all",
                        description="The Five-Star open data rating with the reason for each star and what would "
                                    "earn the next; all datasets when DATASET is left out.")
    s.add_argument("city", metavar="CITY", help="city key")
    s.add_argument("dataset", metavar="DATASET", nargs="?", help="dataset key (default: every dataset)")
    s.add_argument("--json", action="store_true", help="print the ratings as JSON")
    p.set_defaults(func=run)


class Missing(LookupError):
    pass


class Refused(PermissionError):
    """``--user`` names a user whose roles do not allow the command."""


def _acting_user(args, action: str, target=None, *, city=None):
    """The user the command acts as (None: the local operator), if the authorisation layer allows it.

    ``target``: the record to ``action`` on; ``city``: a whole-city write (programme administrator).
    """
    from cityline.accounts import operations
    from cityline.accounts.cli import acting_principal

    try:
        principal = acting_principal(args)
    except operations.Refused as exc:
        raise Missing(str(exc)) from None
    if principal.operator:
        return None
    try:
        if city is not None:
            operations.require_programme_admin(principal, city.key)
        else:
            operations.require(principal, action, target)
    except operations.Refused as exc:
        raise Refused(str(exc)) from None
    return principal.user


def _city(key: str):
    from cityline.core.models import City

    city = City.objects.filter(key=key).first()
    if city is None:
        keys = ", ".join(City.objects.order_by("key").values_list("key", flat=True)) or "none"
        raise Missing(f"no city {key!r} (cities: {keys})")
    return city


def _dataset(city, key: str):
    from .models import Dataset

    dataset = Dataset.objects.filter(city=city, key=key).first()
    if dataset is None:
        raise Missing(f"no dataset {key!r} in {city.key}")
    return dataset


def run(args: argparse.Namespace) -> int:
    from cityline.cli import _migrate

    _migrate()
    handlers = {"upload": _upload, "review": _review, "override": _override, "sync-kpis": _sync_kpis,
                "publish-take-up": _publish_take_up, "stars": _stars}
    try:
        return handlers[args.opendata_command](args)
    except Missing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Refused as exc:
        print(f"error: {exc}; nothing was changed", file=sys.stderr)
        return 1


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


class _Progress:
    """A ticking line on a terminal while a long upload is checked and converted.

    ``upload_version`` is one call with no progress hook, so this shows elapsed time, not a
    percentage; it is shown only for files over 20 MB and only when stderr is a terminal.
    """

    def __init__(self, label: str, enabled: bool):
        self.label, self.enabled = label, enabled
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, daemon=True)

    def _tick(self) -> None:
        started = time.monotonic()
        frames = "|/-\\"
        n = 0
        while not self._stop.wait(0.5):
            sys.stderr.write(f"\r{frames[n % 4]} {self.label} {time.monotonic() - started:.0f}s")
            sys.stderr.flush()
            n += 1

    def __enter__(self):
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self._stop.set()
            self._thread.join()
            sys.stderr.write("\r" + " " * (len(self.label) + 12) + "\r")


def _upload(args) -> int:
    from . import services
    from .domain import tabular
    from .models import Distribution

    city = _city(args.city)
    dataset = _dataset(city, args.dataset)
    dist = Distribution.objects.filter(dataset=dataset, key=args.distribution).select_related("dataset", "city").first()
    if dist is None:
        raise Missing(f"no distribution {args.distribution!r} in dataset {dataset.key!r}")
    user = _acting_user(args, "change", dist)
    path: Path = args.file
    if not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return 1
    size = path.stat().st_size
    big = size > 20 * 1024 * 1024 and sys.stderr.isatty()
    try:
        with _Progress(f"checking {path.name} ({_size(size)})", big):
            version = services.upload_version(dist, path, original_name=path.name, note=args.note,
                                              encoding=args.encoding, user=user)
    except tabular.IngestError as exc:
        if args.json:
            print(json.dumps(exc.as_dict(), ensure_ascii=False, indent=1, default=str))
        else:
            print(f"error: {path}: {exc.message}", file=sys.stderr)
            for error in exc.errors:
                print(f"  {path}: {error.message}", file=sys.stderr)
            more = exc.total_errors - len(exc.errors)
            if more > 0:
                print(f"  ... and {more} more errors", file=sys.stderr)
            print("Nothing was stored.", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    dataset.refresh_from_db()
    summary = {**services.version_summary(version), "dataset": dataset.key, "distribution": dist.key,
               "gate": dataset.gate, "public": dataset.public}
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
        return 0
    rows = f"{version.row_count} rows, " if version.row_count is not None else ""
    print(f"{dataset.key}/{dist.key}: version {version.number} stored ({rows}{_size(version.byte_size)}, "
          f"sha256 {version.checksum[:12]}…)")
    changes = version.changes or {}
    if changes:
        print(f"  changes: {changes.get('rows_added', 0)} rows added, {changes.get('rows_removed', 0)} removed")
    print(f"  privacy gate: {dataset.gate or '—'}; public: {'yes' if dataset.public else 'no'}")
    return 0


def _reasons(dataset) -> list[dict]:
    from . import services

    out = []
    for version in services.latest_versions(dataset):
        review = services.latest_review(version)
        if review is None:
            continue
        reasons = [reason.get("text") or reason.get("message") or reason.get("code")
                   for reason in (review.report or {}).get("reasons", [])]
        out.append({"distribution": version.distribution.key, "version": version.number, "result": review.result,
                    "k": review.k, "reasons": reasons,
                    "steward": review.steward.key if review.steward_id else None,
                    "justification": review.justification or None})
    return out


def _review(args) -> int:
    from . import services

    dataset = _dataset(_city(args.city), args.dataset)
    user = _acting_user(args, "change", dataset)
    dataset = services.review_dataset(dataset, force=args.force, user=user)
    dataset.refresh_from_db()
    verdict = dataset.gate or "nothing to check"
    reviews = _reasons(dataset)
    if args.json:
        print(json.dumps({"dataset": dataset.key, "verdict": verdict, "public": dataset.public,
                          "reviews": reviews}, ensure_ascii=False, indent=1))
    else:
        print(f"{dataset.key}: {verdict} (public: {'yes' if dataset.public else 'no'})")
        for r in reviews:
            k = f", k = {r['k']}" if r["k"] is not None else ""
            print(f"  {r['distribution']} v{r['version']}: {r['result']}{k}")
            for reason in r["reasons"]:
                print(f"    - {reason}")
            if r["justification"]:
                print(f"    overridden by {r['steward']}: {r['justification']}")
    return 1 if dataset.gate == "blocked" else 0


def _override(args) -> int:
    from django.core.exceptions import ValidationError

    from cityline.core.models import Person

    from . import services

    city = _city(args.city)
    dataset = _dataset(city, args.dataset)
    steward = Person.objects.filter(city=city, key=args.steward).first()
    if steward is None:
        raise Missing(f"no person {args.steward!r} in {city.key}")
    user = _acting_user(args, "change", dataset)
    try:
        overrides = services.override_gate(dataset, steward=steward, justification=args.justification, user=user)
    except ValidationError as exc:
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        for field, msgs in messages.items():
            for msg in msgs:
                print(f"error: {field + ': ' if field else ''}{msg}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    dataset.refresh_from_db()
    print(f"{dataset.key}: overridden by {steward.key} for {len(overrides)} version(s); "
          f"gate {dataset.gate}, public: {'yes' if dataset.public else 'no'}")
    return 0


def _sync_kpis(args) -> int:
    from django.utils.translation import gettext as _

    from cityline.participation import kpis as engagement
    from cityline.participation import opendata as participation

    from . import kpidata, takeup

    city = _city(args.city)
    user = _acting_user(args, "add", city=city)
    engagement.sync_engagement_kpis(city, user=user)  # engagement KPIs first: their datasets follow (B3)
    results = kpidata.sync_city(city, user=user)
    take_up = takeup.publish(city, user=user)
    consultations = participation.publish(city, user=user)
    if args.json:
        print(json.dumps({"kpis": [r.as_dict() for r in results], "take_up": take_up,
                          "participation": consultations}, ensure_ascii=False, indent=1))
    else:
        for r in results:
            versions = f" (new versions: {', '.join(r.versions)})" if r.versions else ""
            print(f"{r.kpi}: {r.action}{' → ' + r.dataset if r.dataset else ''}{versions}")
            for problem in r.problems:
                print(f"  problem: {problem}")
        print(f"take-up: {take_up['action']}" + (f", version {take_up['version']}" if take_up.get("version") else ""))
        for p in consultations:
            print(f"{p['dataset']}: {p['action']}" + (f", version {p['version']}" if p.get("version") else ""))
        counts = {}
        for r in results:
            counts[r.action] = counts.get(r.action, 0) + 1
        print(f"{len(results)} KPIs: " + (", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "none"))
    left_out = kpidata.skipped(results)
    if left_out:  # the others were synced; the run still fails, naming what it left out
        print(_("error: skipped %(count)s KPI(s), whose datasets were not synced: %(keys)s; see the problem "
                "reported for each") % {"count": len(left_out), "keys": ", ".join(left_out)}, file=sys.stderr)
    return 1 if any(r.problems for r in results) else 0


def _publish_take_up(args) -> int:
    from . import takeup

    city = _city(args.city)
    result = takeup.publish(city, user=_acting_user(args, "add", city=city))
    if result.get("problem"):
        print(f"error: {result['problem']}", file=sys.stderr)
        return 1
    version = f", version {result['version']}" if result["version"] else " (figures unchanged)"
    print(f"{result['dataset']}: {result['action']}{version}")
    return 0


def _stars(args) -> int:
    from django.utils.translation import gettext

    from .domain import stars
    from .models import Dataset

    city = _city(args.city)
    datasets = Dataset.objects.filter(city=city).prefetch_related("distributions__versions").order_by("key")
    if args.dataset:
        datasets = datasets.filter(key=args.dataset)
        if not datasets:
            raise Missing(f"no dataset {args.dataset!r} in {city.key}")
    ratings = [{"dataset": ds.key, **stars.rating(ds, gettext)} for ds in datasets]
    if args.json:
        print(json.dumps(ratings if not args.dataset else ratings[0], ensure_ascii=False, indent=1))
        return 0
    for r in ratings:
        print(f"{r['dataset']}: {'★' * r['stars']}{'☆' * (r['max'] - r['stars'])} ({r['stars']}/{r['max']})")
        if args.dataset:
            for level in r["levels"]:
                print(f"  {'★' if level['earned'] else '☆'} {level['title']}: {level['reason']}")
            if r["next"]:
                print(f"  next: {r['next']}")
    return 0
