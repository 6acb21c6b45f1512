"""List query parameters: filters, text search, sorting and pagination.

Reserved parameters start with an underscore (as Datasette does): ``_limit``,
``_offset``, ``_sort`` and ``_q``. Every other parameter is a filter on a field
the collection declares (``?status=planned&buyer=council``); repeating a filter
means "any of" (``?status=planned&status=open``); ordered fields (dates, numbers)
also take ``__gte``, ``__lte``, ``__gt`` and ``__lt``. Anything else is refused
with a 400 problem that names the parameter, so typos never silently return
everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict

from .errors import ApiProblem

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_HISTORY_OFFSET = 10_000
#: The largest offset SQL takes (a signed 64-bit integer); beyond it the database fails instead of answering.
MAX_OFFSET = 2**63 - 1
#: Words of a ``_q`` search: each one adds a condition, and databases refuse a query too deeply nested.
MAX_SEARCH_WORDS = 32
RESERVED = ("_limit", "_offset", "_sort", "_q")
RANGE_SUFFIXES = ("gte", "lte", "gt", "lt")
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class FilterSpec:
    """How one declared filter maps a query parameter onto the ORM."""

    name: str
    path: str  # ORM lookup path, e.g. "buyer__key"
    parse: Callable[[str], Any]
    ordered: bool = False  # accepts __gte/__lte/__gt/__lt
    contains: bool = False  # JSON list: "has this value"
    many: bool = False  # crosses a many-to-many relation: needs distinct()
    openapi_type: dict | None = None
    description: str = ""


def parse_bool(value: str) -> bool:
    low = value.strip().lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise ValueError("use true or false")


def parse_int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError("use a whole number") from None


def parse_decimal(value: str) -> Decimal:
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise ValueError("use a number such as 1200.50") from None
    if not result.is_finite():
        raise ValueError("use a finite number")
    return result


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("use a date as YYYY-MM-DD") from None


def parse_datetime(value: str) -> datetime:
    """An ISO 8601 date and time; one with an offset is turned to UTC (PostgreSQL refuses offsets beyond
    about ±16 hours, which Python accepts)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("use an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        return parsed
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError("use a date and time between the years 1 and 9999 in UTC") from None


def parse_choice(allowed: list[str]) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"use one of {', '.join(allowed)}")
        return value

    return parse


def parse_text(value: str) -> str:
    return value


def _bad(param: str, message: str) -> ApiProblem:
    return ApiProblem("invalid-parameter", f"{param}: {message}", errors={param: [message]})


def check_known(params: QueryDict, allowed: set[str], hint: str) -> None:
    for name in params:
        if name not in allowed:
            kind = "reserved parameter" if name.startswith("_") else "filter"
            raise ApiProblem(
                "unknown-parameter",
                f"unknown {kind} {name!r}; {hint}",
                errors={name: ["unknown query parameter"]},
            )


def page_bounds(params: QueryDict, *, max_offset: int | None = None) -> tuple[int, int]:
    limit, offset = DEFAULT_LIMIT, 0
    if "_limit" in params:
        try:
            limit = int(params["_limit"])
        except ValueError:
            raise _bad("_limit", f"use a whole number from 1 to {MAX_LIMIT}") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise _bad("_limit", f"use a whole number from 1 to {MAX_LIMIT}")
    if "_offset" in params:
        try:
            offset = int(params["_offset"])
        except ValueError:
            raise _bad("_offset", "use a whole number, 0 or more") from None
        if offset < 0:
            raise _bad("_offset", "use a whole number, 0 or more")
        if offset > MAX_OFFSET:
            raise _bad("_offset", f"at most {MAX_OFFSET}")
        if max_offset is not None and offset > max_offset:
            raise _bad("_offset", f"at most {max_offset}")
    return limit, offset


def page_links(request: HttpRequest, count: int, limit: int, offset: int) -> tuple[str | None, str | None]:
    def link(new_offset: int) -> str:
        params = request.GET.copy()
        params["_limit"] = str(limit)
        params["_offset"] = str(new_offset)
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    nxt = link(offset + limit) if offset + limit < count else None
    prev = link(max(offset - limit, 0)) if offset > 0 else None
    return nxt, prev


def page(request: HttpRequest, count: int, limit: int, offset: int, results: list) -> dict[str, Any]:
    nxt, prev = page_links(request, count, limit, offset)
    return {"count": count, "limit": limit, "offset": offset, "next": nxt, "previous": prev, "results": results}


def apply_filters(qs: QuerySet, params: QueryDict, filters: dict[str, FilterSpec]) -> QuerySet:
    distinct = False
    for param in params:
        if param.startswith("_"):
            continue
        name, _, suffix = param.partition("__")
        spec = filters[name]
        values = params.getlist(param)
        try:
            parsed = [spec.parse(v) for v in values]
        except ValueError as exc:
            raise _bad(param, str(exc)) from None
        if suffix:
            if len(parsed) > 1:
                raise _bad(param, "give a range bound once")
            qs = qs.filter(**{f"{spec.path}__{suffix}": parsed[0]})
        elif spec.contains:
            # Stored JSON lists of plain words: match the quoted element.
            cond = Q()
            for value in parsed:
                cond |= Q(**{f"{spec.path}__icontains": f'"{value}"'})
            qs = qs.filter(cond)
        elif len(parsed) == 1:
            qs = qs.filter(**{spec.path: parsed[0]})
        else:
            qs = qs.filter(**{f"{spec.path}__in": parsed})
        distinct = distinct or spec.many
    return qs.distinct() if distinct else qs


def apply_search(qs: QuerySet, params: QueryDict, fields: list[str]) -> QuerySet:
    text = params.get("_q", "").strip()
    if not text:
        return qs
    words = list(dict.fromkeys(text.split()))  # a repeated word adds nothing
    if len(words) > MAX_SEARCH_WORDS:
        raise _bad("_q", f"use at most {MAX_SEARCH_WORDS} different words (got {len(words)})")
    for word in words:
        cond = Q()
        for field in fields:
            cond |= Q(**{f"{field}__icontains": word})
        qs = qs.filter(cond)
    return qs


def apply_sort(qs: QuerySet, params: QueryDict, sortable: dict[str, str], default: list[str]) -> QuerySet:
    order: list[str] = []
    if "_sort" in params:
        for item in params["_sort"].split(","):
            item = item.strip()
            desc = item.startswith("-")
            name = item.lstrip("-")
            if name not in sortable:
                raise _bad("_sort", f"cannot sort by {name!r}; use one of {', '.join(sorted(sortable))}"
                                    " (prefix - for descending)")
            order.append(("-" if desc else "") + sortable[name])
    else:
        order = list(default)
    # A unique tie-breaker keeps pages stable.
    return qs.order_by(*order, "pk")


def allowed_filter_params(filters: dict[str, FilterSpec]) -> set[str]:
    names = set()
    for spec in filters.values():
        names.add(spec.name)
        if spec.ordered:
            names.update(f"{spec.name}__{s}" for s in RANGE_SUFFIXES)
    return names
