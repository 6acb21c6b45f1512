"""``cityline pack validate|import|export DIR``: thin shells over the pack functions.

Exit codes: 0 when all went well, 1 when the pack is invalid or the city cannot be
found (the problems are printed on stderr, one per line, as ``file:line: field: message``),
2 when the ``--user`` may not make the import or some record of it (each refused record is
printed the same way, naming the right it needs).
"""

from __future__ import annotations

import argparse
import sys

from .errors import PackError, PackRefused


def _print_problems(error: PackError, what: str) -> None:
    for problem in error.problems:
        print(problem, file=sys.stderr)
    count = len(error.problems)
    print(f"{count} problem{'s' if count != 1 else ''} found; {what}", file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    from .importer import validate_pack

    try:
        report = validate_pack(args.directory)
    except PackError as exc:
        _print_problems(exc, "the pack is not valid.")
        return 1
    print(f"{args.directory}: valid city pack for {report.city_name} ({report.city_key}), "
          f"{report.records} records; importing it now would make {report.changes} changes.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .importer import import_pack

    dry_run = bool(getattr(args, "dry_run", False))
    try:
        principal = _authorise_import(args)
    except PermissionError as exc:
        print(f"error: {exc}; nothing was imported.", file=sys.stderr)
        return 2
    try:
        report = import_pack(args.directory, dry_run=dry_run, principal=principal, trusted=principal is None)
    except PackRefused as exc:
        _print_problems(exc, f"{principal.label()} may not make this import; nothing was imported.")
        return 2
    except PackError as exc:
        _print_problems(exc, "nothing was imported.")
        return 1
    verb = "would change" if dry_run else "changed"
    print(f"City pack {args.directory} for {report.city_name} ({report.city_key}): {report.changes} records {verb}.")
    print(report.as_text())
    if dry_run:
        print("Dry run: nothing was written.")
    return 0


def _authorise_import(args: argparse.Namespace):
    """The principal a ``--user`` import acts as, if the authorisation layer lets them import at all (B10).

    Replacing a city's operating model needs its programme administrator; creating a city, a
    platform administrator. The importer then asks for each record it would write (the city record,
    identity providers and any other record the user's roles do not cover are refused there).
    Without ``--user`` the local operator imports (None: a trusted import, asked for nothing).
    Raises PermissionError naming why not.
    """
    from cityline.accounts.cli import acting_principal
    from cityline.accounts.operations import Refused, require_programme_admin

    from .reader import read_pack

    try:
        principal = acting_principal(args)
        if principal.operator:
            return None
        key = read_pack(args.directory).city_key
        if key is not None:  # without a city key the import fails on its own, writing nothing
            require_programme_admin(principal, key)
    except Refused as exc:
        raise PermissionError(str(exc)) from None
    return principal


def cmd_export(args: argparse.Namespace) -> int:
    from cityline.core.models import City

    from .exporter import export_pack

    keys = list(City.objects.order_by("key").values_list("key", flat=True))
    key = getattr(args, "city", None)
    if key is None:
        if len(keys) != 1:
            listed = ", ".join(keys) if keys else "none"
            print(f"this instance hosts {len(keys)} cities ({listed}); say which with --city KEY", file=sys.stderr)
            return 1
        key = keys[0]
    elif key not in keys:
        print(f"no city with key {key!r} (known: {', '.join(keys) or 'none'})", file=sys.stderr)
        return 1
    written = export_pack(key, args.directory)
    print(f"Exported city {key} to {args.directory}: {', '.join(p.name for p in written)}")
    return 0


COMMANDS = {"validate": cmd_validate, "import": cmd_import, "export": cmd_export}


def run(args: argparse.Namespace) -> int:
    return COMMANDS[args.pack_command](args)
