"""``cityline user|role|token ...`` and the ``--user`` option of writing commands (B10).

Thin shells over :mod:`.operations`. Exit status: 0 done, 2 a bad argument or a refusal
(the message names it; nothing was written).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from .roles import ASSIGNABLE

#: Environment variable standing for ``--user NAME``.
USER_ENV = "CITYLINE_USER"
USER_HELP = (f"act as this Cityline user: the command then needs that user's role (default: ${USER_ENV}; "
             "without either, the command acts as the local operator, who owns the instance)")


def add_user_option(parser: argparse.ArgumentParser) -> None:
    """``--user NAME`` on a command that writes operating-model data (also accepted before the command)."""
    parser.add_argument("--user", dest="acting_user", metavar="NAME", default=argparse.SUPPRESS, help=USER_HELP)
    parser.set_defaults(accepts_user=True)


def check_user_option(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``cityline --user NAME COMMAND``: refuse it for a command that would not check it (no silent ignoring)."""
    if getattr(args, "acting_user", None) and not getattr(args, "accepts_user", False):
        parser.error("--user applies to the commands that write operating-model data: pack import, opendata "
                     "upload, review, override, sync-kpis and publish-take-up, participation tick, "
                     "publish-response, publish-data and sync-kpis, benefits import-measurements, services "
                     "import-audit")


def acting_user(args: argparse.Namespace) -> str | None:
    return getattr(args, "acting_user", None) or os.environ.get(USER_ENV) or None


def acting_principal(args: argparse.Namespace):
    """The principal a command acts as; :class:`.operations.Refused` for an unknown or deactivated user."""
    from .operations import acting_principal as principal_of

    return principal_of(acting_user(args))


def add_parser(sub) -> None:
    roles = ", ".join(r.value for r in ASSIGNABLE)

    p = sub.add_parser("user", help="create local accounts",
                       description="Local Cityline accounts (people signing in with a password; federated "
                                   "accounts are made at first sign-in). See docs/identity/.")
    usub = p.add_subparsers(dest="user_command", metavar="ACTION")
    usub.required = True
    uc = usub.add_parser("create", help="create a local account (asks for the password)")
    uc.add_argument("name", metavar="NAME", help="user name")
    uc.add_argument("--email", default="", help="e-mail address")
    uc.add_argument("--password-stdin", action="store_true",
                    help="read the password from standard input (one line) instead of asking")
    p.set_defaults(func=run)

    p = sub.add_parser("role", help="grant, revoke and list roles",
                       description=f"Roles ({roles}) are granted for an organisation (contributor, data steward), "
                                   "an outcome of the benefit map (benefit owner), a city (programme "
                                   "administrator) or the whole instance (platform administrator). See "
                                   "docs/identity/.")
    rsub = p.add_subparsers(dest="role_command", metavar="ACTION")
    rsub.required = True
    for action, text in (("grant", "give USER the ROLE"), ("revoke", "take the ROLE from USER")):
        r = rsub.add_parser(action, help=text)
        r.add_argument("username", metavar="USER", help="user name")
        r.add_argument("role", metavar="ROLE", help=f"one of: {roles}")
        scope = r.add_mutually_exclusive_group()
        scope.add_argument("--city", metavar="KEY", help="the city of a programme administrator")
        scope.add_argument("--organisation", metavar="CITY/ORGKEY",
                           help="the organisation of a contributor or data steward")
        scope.add_argument("--outcome", metavar="CITY/NODEKEY", help="the outcome of a benefit owner")
    rl = rsub.add_parser("list", help="list role assignments")
    rl.add_argument("--city", metavar="KEY", help="only this city's")
    p.set_defaults(func=run)

    p = sub.add_parser("token", help="create, list and revoke API tokens",
                       description="Bearer tokens for machine clients of the API (Authorization: Bearer cl_...). "
                                   "A token is shown once when created; Cityline stores only its SHA-256 digest. "
                                   "See docs/identity/tokens.md.")
    tsub = p.add_subparsers(dest="token_command", metavar="ACTION")
    tsub.required = True
    tc = tsub.add_parser("create", help="create a token for a user and print it (once)")
    tc.add_argument("--user", dest="token_user", required=True, metavar="NAME", help="whose token it is")
    tc.add_argument("--name", required=True, help="what the token is for")
    tc.add_argument("--scope", dest="scopes", action="append", choices=["read", "write"], required=True,
                    help="read (unpublished records the user may see) or write (changes); repeat for both")
    tc.add_argument("--days", type=int, default=90, help="lifetime in days, 1 to 366 (default 90)")
    tl = tsub.add_parser("list", help="list tokens (never the tokens themselves: their prefixes)")
    tl.add_argument("--user", dest="token_user", metavar="NAME", help="only this user's")
    tr = tsub.add_parser("revoke", help="revoke a token")
    tr.add_argument("prefix", metavar="PREFIX", help="the token's prefix, as 'token list' shows it")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cityline.cli import _migrate

    from .operations import Refused

    from django.conf import settings
    from django.utils import translation

    _migrate()
    handler = {"user": _user, "role": _role, "token": _token}[args.command]
    try:
        with translation.override(settings.LANGUAGE_CODE):  # the instance's language, not a leftover
            return handler(args)
    except Refused as exc:
        print(f"error: {exc}; nothing was changed", file=sys.stderr)
        return 2


def _user(args) -> int:
    from .operations import Refused, create_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            raise Refused("the two passwords differ")
    if not password:
        raise Refused("password: empty")
    user = create_user(args.name, email=args.email, password=password)
    print(f"created user {user.get_username()}")
    return 0


def _role(args) -> int:
    from . import operations

    if args.role_command == "list":
        for a in operations.list_roles(args.city):
            print(f"{a.user.get_username()}\t{a.role}{operations.describe_scope(a)}")
        return 0
    scope = {"city": args.city, "organisation": args.organisation, "outcome": args.outcome}
    if args.role_command == "grant":
        a = operations.grant_role(args.username, args.role, **scope)
        print(f"granted {a.role}{operations.describe_scope(a)} to {args.username}")
    else:
        n = operations.revoke_role(args.username, args.role, **scope)
        print(f"revoked {args.role} from {args.username} ({n} assignment{'s' if n != 1 else ''})")
    return 0


def _token(args) -> int:
    from . import operations

    if args.token_command == "create":
        token, raw = operations.create_token(args.token_user, name=args.name, scopes=args.scopes, days=args.days)
        print(raw)
        print(f"token {token.prefix}… for {args.token_user} ({', '.join(token.scopes)}), expires "
              f"{token.expires_at:%Y-%m-%d}. Copy it now: it is not shown again.", file=sys.stderr)
        return 0
    if args.token_command == "list":
        for t in operations.list_tokens(args.token_user):
            used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
            print(f"{t.prefix}\t{t.user.get_username()}\t{t.name}\t{','.join(t.scopes)}\t"
                  f"created {t.created_at:%Y-%m-%d}\texpires {t.expires_at:%Y-%m-%d}\tlast used {used}\t"
                  f"{operations.status_of(t)}")
        return 0
    token = operations.revoke_token(args.prefix)
    print(f"revoked token {token.prefix}… ({token.name}) of {token.user.get_username()}")
    return 0
