"""CSV import of channel audit data (B11.a): all or nothing, problems named by file, line and column.

Format (UTF-8, comma-separated, a header row; see docs/services-and-channels.md):
``service, channel, year, quarter, transactions, total_cost`` and optionally
``completion_rate``, ``satisfaction``, ``service_level_met`` (percentages 0–100; an
empty cell leaves the rate unknown; a rate column the file leaves out keeps what is
stored). Services and channels are named by key. A row for a service, channel and
quarter already stored replaces its figures, so importing the same file twice
changes nothing.

Every row is checked before anything is written; the writes go through
:mod:`cityline.core.actions` in one transaction that is rolled back on any problem,
with the history reason ``CSV import of <file>``. The channel-shift scenarios whose
baseline year the import changes are computed again in the same transaction; one the
new audit no longer supports is a problem, and nothing is written.

Who imports: the local operator (the CLI without ``--user``) may write everything; a user
(``--user`` / ``CITYLINE_USER``, or ``user=`` / ``principal=`` from code) is asked about
every row that changes something and every scenario computed again, by the rules of the
editor and the API (:class:`cityline.accounts.authz.Rights`: the channel audit is the city's
programme administrators'); a refusal names the line and nothing is written.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction

from cityline.benefits.imports import (
    CsvImportError,
    CsvImportRefused,
    CsvProblem,
    ImportSummary,
    parse_number,
    read_csv,
)
from cityline.core import actions
from cityline.core.models import City

from .models import Channel, ChannelAudit, ChannelShiftScenario, Service

AUDIT_COLUMNS = ("service", "channel", "year", "quarter", "transactions", "total_cost")
AUDIT_OPTIONAL = ("completion_rate", "satisfaction", "service_level_met")
RATES = AUDIT_OPTIONAL


#: The largest cost one row can hold (``ChannelAudit.total_cost``: 14 digits, two of them pence).
MAX_COST = Decimal("999999999999.99")


def _int(text: str, low: int, high: int, what: str) -> int:
    # ASCII digits only: str.isdigit() also accepts superscripts ("²"), which int() then refuses
    if not text or not (text.isascii() and text.isdigit()):
        raise ValueError(f"{text!r} is not a whole number" if text else f"give the {what}")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{value} is out of range: the {what} is between {low} and {high}")
    return value


def import_audit(path: Path | str, city: City | str, *, user=None, principal=None) -> ImportSummary:
    """Import channel audit rows of a city from CSV, all or nothing (B11.a).

    ``principal`` (:class:`cityline.accounts.authz.Principal`), or ``user`` alone (their principal, built as the CLI
    builds it): whose rights decide, row by row, for the rows that change something and the scenarios computed
    again; any refusal is listed with its line and nothing is written (:class:`CsvImportRefused`). With neither (the
    local operator: the CLI without ``--user``), nothing is asked. ``user`` (default: the principal's) is whom the
    history records.
    """
    if principal is None and user is not None:
        from cityline.accounts.authz import principal_for_user

        principal = principal_for_user(user)
    if isinstance(city, str):
        found = City.objects.filter(key=city).first()
        if found is None:
            raise CsvImportError([CsvProblem(Path(path).name, None, None, f"no city with key {city!r}")])
        city = found
    name, rows = read_csv(path, AUDIT_COLUMNS, AUDIT_OPTIONAL)
    summary = ImportSummary(name, "channel audit rows")
    services = {s.key: s for s in Service.objects.filter(city=city)}
    channels = {c.key: c for c in Channel.objects.filter(city=city)}
    existing = {(a.service_id, a.channel_id, a.year, a.quarter): a
                for a in ChannelAudit.objects.filter(city=city)}
    problems: list[CsvProblem] = []
    parsed = []
    first_line: dict[tuple, int] = {}
    for row in rows:
        v = row.values
        bad: list[CsvProblem] = []

        def problem(column: str, message: str) -> None:
            bad.append(CsvProblem(name, row.line, column, message))

        values: dict = {}
        for column, table, what in (("service", services, "service"), ("channel", channels, "channel")):
            if not v[column]:
                problem(column, f"give the {what}'s key")
            elif v[column] not in table:
                problem(column, f"no {what} with key {v[column]!r} in city {city.key!r}")
            else:
                values[column] = table[v[column]]
        for column, low, high in (("year", 1990, 2100), ("quarter", 1, 4), ("transactions", 0, 2_000_000_000)):
            try:
                values[column] = _int(v[column], low, high, column)
            except ValueError as exc:
                problem(column, str(exc))
        try:
            cost = parse_number(v["total_cost"])
            if cost < 0:
                problem("total_cost", "a cost cannot be negative")
            elif cost > MAX_COST:
                problem("total_cost", f"{v['total_cost']!r} is too large: a quarter's cost is at most {MAX_COST}")
            elif cost != cost.quantize(Decimal("0.01")):
                problem("total_cost", f"{v['total_cost']!r} has more than two decimals (pence)")
            else:
                values["total_cost"] = cost
        except ValueError as exc:
            problem("total_cost", str(exc))
        for column in RATES:
            if column not in v:
                continue  # a column the file leaves out keeps what is stored (a new row: unknown)
            text = v[column]
            if not text:
                values[column] = None
                continue
            try:
                rate = parse_number(text)
            except ValueError as exc:
                problem(column, str(exc))
                continue
            if not Decimal("0") <= rate <= Decimal("100"):
                problem(column, f"{text} is not a percentage between 0 and 100")
            elif rate != rate.quantize(Decimal("0.01")):
                problem(column, f"{text!r} has more than two decimals")
            else:
                values[column] = rate
        if not bad:
            ident = (v["service"], v["channel"], values["year"], values["quarter"])
            if ident in first_line:
                problem("quarter", f"a second row for service {v['service']!r}, channel {v['channel']!r} and "
                                   f"{values['year']}-Q{values['quarter']} (the first is on line {first_line[ident]})")
            else:
                first_line[ident] = row.line
        if bad:
            problems += bad
            continue
        parsed.append((row, values))
    if problems:
        raise CsvImportError(problems)
    reason = f"CSV import of {name}"
    authorise = _authorise(principal)
    if user is None and principal is not None:
        user = principal.user
    refused = False
    touched: set[int] = set()  # the years whose audit the import changes
    with transaction.atomic():
        for row, values in parsed:
            ident = (values["service"].pk, values["channel"].pk, values["year"], values["quarter"])
            instance = existing.get(ident) or ChannelAudit(city=city, service=values["service"],
                                                           channel=values["channel"], year=values["year"],
                                                           quarter=values["quarter"])
            stored = instance.version if instance.pk else None
            for column in ("transactions", "total_cost", *RATES):
                if column in values:
                    setattr(instance, column, values[column])
            try:
                actions.save(instance, user=user, reason=reason, authorise=authorise)
            except ValidationError as exc:
                for fname, messages in exc.message_dict.items():
                    column = None if fname == NON_FIELD_ERRORS else fname
                    problems += [CsvProblem(name, row.line, column, msg) for msg in messages]
                continue
            except PermissionDenied as exc:
                refused = True
                problems.append(CsvProblem(name, row.line, None, str(exc)))
                continue
            if stored is None:
                summary.count("created")
                touched.add(values["year"])
            elif instance.version != stored:
                summary.count("updated")
                touched.add(values["year"])
            else:
                summary.count("unchanged")
        if not problems:
            recomputed, scenario_refused = _recompute_scenarios(city, touched, name, user=user, reason=reason,
                                                                authorise=authorise)
            problems += recomputed
            refused = refused or scenario_refused
        if problems:
            transaction.set_rollback(True)
    if problems:
        raise (CsvImportRefused if refused else CsvImportError)(problems)
    return summary


def _recompute_scenarios(city: City, years: set[int], name: str, *, user, reason: str,
                         authorise=None) -> tuple[list[CsvProblem], bool]:
    """Save again the channel-shift scenarios whose baseline year the import changed, so that their saved results
    follow the audit (as a pack import of the same audit would compute them, B11.b); a scenario the new audit no
    longer supports, or the importing user may not change, is a problem naming it. Also says whether a problem
    is a refusal."""
    problems = []
    refused = False
    for scenario in ChannelShiftScenario.objects.filter(city=city, baseline_year__in=years).order_by("key"):
        try:
            actions.save(scenario, user=user, reason=reason, authorise=authorise)
        except ValidationError as exc:
            for fname, messages in exc.message_dict.items():
                where = "" if fname == NON_FIELD_ERRORS else f" ({fname})"
                problems += [CsvProblem(name, None, None, f"channel-shift scenario {scenario.key!r}{where}: {msg}")
                             for msg in messages]
        except PermissionDenied as exc:
            refused = True
            problems.append(CsvProblem(name, None, None, f"channel-shift scenario {scenario.key!r}: {exc}"))
    return problems, refused


def _authorise(principal):
    """The rights check :func:`cityline.core.actions.save` asks before a write that changes something (the rules of
    the editor and the API; None for the operator, who may do everything)."""
    from cityline.accounts.authz import write_check

    def describe(action, instance):
        verb = "add" if action == "add" else "change"
        if isinstance(instance, ChannelAudit):
            return (f"{verb} channel audit figures of service {instance.service.key!r} on channel "
                    f"{instance.channel.key!r} for {instance.year}-Q{instance.quarter}")
        return f"{verb} {instance._meta.verbose_name} {instance.key!r}"

    return write_check(principal, describe=describe)


def cli_import_audit(args) -> int:
    """``cityline services import-audit FILE [--city KEY] [--user NAME]``: as the local operator, or as the user
    ``--user`` or ``CITYLINE_USER`` names, whose roles then decide (exit status 2 when they do not allow it)."""
    from cityline.accounts.cli import acting_principal
    from cityline.accounts.operations import Refused

    city = args.city
    if city is None:
        keys = list(City.objects.values_list("key", flat=True)[:2])
        if len(keys) != 1:
            print("error: give --city KEY (the instance hosts " + ("no city" if not keys else "several cities") + ")",
                  file=sys.stderr)
            return 2
        city = keys[0]
    try:
        principal = acting_principal(args)
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        summary = import_audit(args.file, city, principal=principal)
    except CsvImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, CsvImportRefused) else 1
    print(summary)
    return 0
