"""Import peer cities' published indicator values (B3.c, C2.c): from a CSV, a city pack or a Cityline API.

Every import is all-or-nothing: the input is read and checked in full first, each
problem named by file, row and column (or URL and field); only a clean input is
written, in one transaction, through :mod:`cityline.core.actions`. Importing a peer
again replaces its values (the history keeps the old ones).
"""

from __future__ import annotations

import csv
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cityline.benefits.choices import IndicatorSource
from cityline.core import actions
from cityline.core.models import City

from .choices import PeerSourceKind
from .models import PeerAssessment, PeerCity, PeerValue

CSV_COLUMNS = ["city", "country", "list", "code", "year", "value", "unit"]
CSV_OPTIONAL = ["population", "name"]
LISTS = [s for s in IndicatorSource.values if s != IndicatorSource.CITY]
API_TIMEOUT = 30


class BenchmarkImportError(Exception):
    """The input is invalid; ``problems`` lists every problem found. Nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''}:\n" + "\n".join(f"  {p}" for p in self.problems))


@dataclass
class PeerData:
    key: str
    name: str
    country: str = ""
    population: int | None = None
    source_kind: str = PeerSourceKind.CSV
    source: str = ""
    licence: str = ""
    values: dict[tuple[str, str, date], dict[str, Any]] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)  # what the input had but the import did not take, and why


@dataclass
class ImportResult:
    peers: list[PeerCity]
    values: int
    left_out: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        names = ", ".join(p.name for p in self.peers)
        text = f"{len(self.peers)} peer cit{'y' if len(self.peers) == 1 else 'ies'} ({names}), {self.values} values"
        return text + "".join(f"\n  left out: {note}" for note in self.left_out)


# --- writing ---------------------------------------------------------------------------


def _details(exc: ValidationError) -> str:
    return "; ".join(f"{k}: {' '.join(str(m) for m in msgs)}"
                     for k, msgs in getattr(exc, "message_dict", {"": exc.messages}).items())


def store(city: City, peers: list[PeerData], user=None) -> ImportResult:
    """Create or replace each peer and its values in one transaction.

    The peer's country, population and licence are replaced only when the input gives them: a
    CSV has no licence column, and a data steward may have completed them in the editor."""
    stored, count = [], 0
    with transaction.atomic():
        for data in peers:
            fields = {"name": data.name, "source_kind": data.source_kind, "source": data.source[:500],
                      "imported_at": timezone.now()}
            given = {"country": data.country, "population": data.population, "licence": data.licence[:100]}
            fields.update({k: v for k, v in given.items() if v})
            peer = PeerCity.objects.filter(city=city, key=data.key).first()
            try:
                if peer is None:
                    peer = actions.create(PeerCity, city=city, key=data.key, user=user, **fields)
                else:
                    peer = actions.update(peer, user=user, **fields)
                    for old in PeerValue.objects.filter(peer=peer):
                        actions.delete(old, user=user)
            except ValidationError as exc:
                raise BenchmarkImportError([f"{data.source or data.key}: peer {data.name}: {_details(exc)}"]) from exc
            for (source, code, period_end), v in sorted(data.values.items()):
                try:
                    actions.create(PeerValue, city=city, peer=peer, source=source, code=code, period_end=period_end,
                                   value=v["value"], unit=v["unit"], name=v.get("name", "")[:300], user=user)
                except ValidationError as exc:
                    where = v.get("where") or f"{data.source or data.key}: peer {data.name}"
                    raise BenchmarkImportError([f"{where}: {_details(exc)}"]) from exc
                count += 1
            stored.append(peer)
    return ImportResult(stored, count, [note for data in peers for note in data.left_out])


def target_city(key: str | None) -> City:
    if key:
        city = City.objects.filter(key=key).first()
        if city is None:
            raise BenchmarkImportError([f"no city with key {key!r}"])
        return city
    cities = list(City.objects.all()[:2])
    if len(cities) != 1:
        raise BenchmarkImportError(["this instance hosts several cities (or none): give --city"])
    return cities[0]


def _decimal(text: Any) -> Decimal | None:
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _field_problems(model, field_name: str, value: Any) -> list[str]:
    """What the record's own field says about ``value`` (length, digits, decimal places), if anything."""
    try:
        model._meta.get_field(field_name).clean(value, None)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def _period(text: str) -> date | None:
    """A year (``2023`` → 31 December 2023) or a period end (``2023-06-30``)."""
    text = str(text).strip()
    try:
        if len(text) == 4 and text.isdigit():
            return date(int(text), 12, 31)
        return date.fromisoformat(text)
    except ValueError:
        return None


# --- CSV -------------------------------------------------------------------------------


def read_csv(path: Path | str) -> list[PeerData]:
    """Parse a CSV of indicator values; raise :class:`BenchmarkImportError` naming file, row and column."""
    path = Path(path)
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchmarkImportError([f"{name}: cannot read: {exc}"]) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise BenchmarkImportError([f"{name}: row 1: missing column{'s' if len(missing) > 1 else ''} "
                                    f"{', '.join(missing)} (expected {', '.join(CSV_COLUMNS)}[, population, name])"])
    reader.fieldnames = header
    problems: list[str] = []
    peers: dict[str, PeerData] = {}
    for raw in reader:
        number = reader.line_num  # the file's line, blank lines included (the header is row 1)
        found_before = len(problems)
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}

        def bad(column: str, message: str) -> None:
            problems.append(f"{name}: row {number}, column {column}: {message}")

        city_name = row["city"]
        if not city_name:
            bad("city", "empty: give the peer city's name")
        key = slugify(city_name)[:80]
        if city_name and not key:
            bad("city", f"{city_name!r} gives no usable key")
        for problem in _field_problems(PeerCity, "name", city_name) if city_name else []:
            bad("city", problem)
        country = row["country"].upper()
        if country and (len(country) != 2 or not country.isalpha()):
            bad("country", f"{row['country']!r} is not a two-letter ISO 3166 code")
        if row["list"] not in LISTS:
            bad("list", f"{row['list']!r} is not a list (use one of {', '.join(LISTS)})")
        if not row["code"]:
            bad("code", "empty: give the indicator's identifier in the list")
        for problem in _field_problems(PeerValue, "code", row["code"]) if row["code"] else []:
            bad("code", problem)
        for problem in _field_problems(PeerValue, "unit", row["unit"]):
            bad("unit", problem)
        period = _period(row["year"])
        if period is None:
            bad("year", f"{row['year']!r} is not a year (2023) or a date (2023-06-30)")
        value = _decimal(row["value"])
        if value is None:
            bad("value", f"{row['value']!r} is not a number")
        else:
            for problem in _field_problems(PeerValue, "value", value):
                bad("value", problem)
        population = None
        if row.get("population"):
            digits = row["population"].isascii() and row["population"].isdigit()     # "²".isdigit() is True
            population = int(row["population"]) if digits and int(row["population"]) > 0 else None
            if population is None:
                bad("population", f"{row['population']!r} is not a whole number above 0")
            for problem in _field_problems(PeerCity, "population", population) if population else []:
                bad("population", problem)
        if len(problems) > found_before:
            continue
        peer = peers.setdefault(key, PeerData(key=key, name=city_name, country=country, source_kind=PeerSourceKind.CSV,
                                              source=name))
        if population:
            peer.population = population
        if country and not peer.country:
            peer.country = country
        ident = (row["list"], row["code"], period)
        if ident in peer.values:
            bad("year", f"{city_name} already has a value of {row['list']} {row['code']} for {period.isoformat()} "
                        f"(row {peer.values[ident]['row']})")
            continue
        peer.values[ident] = {"value": value, "unit": row["unit"], "name": row.get("name", ""), "row": number}
    if problems:
        raise BenchmarkImportError(problems)
    if not peers:
        raise BenchmarkImportError([f"{name}: no rows"])
    return list(peers.values())


def import_csv(city: City, path: Path | str, user=None) -> ImportResult:
    return store(city, read_csv(path), user=user)


# --- another Cityline's city pack -------------------------------------------------------


def _peer_from_records(key: str, city: dict, indicators: list[dict], kpis: list[dict], measurements: list[dict],
                       kind: str, source: str) -> PeerData:
    """Published KPIs on a list indicator, with their usable measurements.

    One KPI per indicator: a city may track the same indicator for a district or a service too, and
    only one series can stand for the city. The city-wide one is taken (scope blank or the city's
    name), else the first by key; the others are named in ``left_out``."""
    by_key = {i.get("key"): i for i in indicators}
    name = city.get("name") or key
    candidates: dict[tuple[str, str], list[dict]] = {}
    for k in kpis:
        ind = by_key.get(k.get("indicator"))
        if not k.get("published") or not ind or ind.get("source") in (None, IndicatorSource.CITY) or not ind.get("code"):
            continue
        candidates.setdefault((ind["source"], ind["code"]), []).append(k)
    tracked: dict[str, tuple[str, str, str, str]] = {}
    licences = set()
    left_out = []
    for (list_, code), found in candidates.items():
        found.sort(key=lambda k: ((k.get("scope") or "").strip().casefold() not in ("", name.casefold()),
                                  str(k["key"])))
        k = found[0]
        ind = by_key[k["indicator"]]
        tracked[k["key"]] = (list_, code, k.get("unit") or "", ind.get("name") or k.get("title") or "")
        licences.add(k.get("licence") or "CC-BY-4.0")
        left_out += [f"KPI {other['key']} ({other.get('scope') or '-'}): KPI {k['key']} already gives {list_} {code}"
                     for other in found[1:]]
    # what the other Cityline gives is checked against our records' limits as a CSV is: every problem at once
    problems: list[str] = []
    where_peer = f"{source}: peer {name}"
    country = city.get("country") or ""
    country = country.upper() if isinstance(country, str) else country
    population = city.get("population") or None
    problems += [f"{where_peer}: name: {problem}" for problem in _field_problems(PeerCity, "name", name)]
    if country and not (isinstance(country, str) and len(country) == 2 and country.isascii() and country.isalpha()):
        problems.append(f"{where_peer}: country: {country!r} is not a two-letter ISO 3166 code")
    if population is not None and (isinstance(population, bool) or not isinstance(population, int)):
        problems.append(f"{where_peer}: population: {population!r} is not a whole number above 0")
    elif population is not None:
        problems += [f"{where_peer}: population: {problem}"
                     for problem in _field_problems(PeerCity, "population", population)]
    for kpi_key, (src, code, unit, _indicator) in sorted(tracked.items()):
        for field_name, given in (("code", code), ("unit", unit)):
            problems += [f"{where_peer}: KPI {kpi_key} ({src} {code}): {field_name}: {problem}"
                         for problem in _field_problems(PeerValue, field_name, given)]
    peer = PeerData(key=key, name=name, country=country if isinstance(country, str) else "",
                    population=population, source_kind=kind, source=source,
                    licence=", ".join(sorted(licences)), left_out=left_out)
    for m in measurements:
        if m.get("kpi") not in tracked or m.get("quality") == "bad":
            continue
        period = m["period_end"] if isinstance(m["period_end"], date) else _period(m["period_end"])
        value = _decimal(m.get("value"))
        if period is None or value is None:
            continue
        src, code, unit, indicator = tracked[m["kpi"]]
        where = f"{where_peer}: KPI {m['kpi']} ({src} {code}), period {period.isoformat()}"
        found = [f"{where}: value: {problem}" for problem in _field_problems(PeerValue, "value", value)]
        if found:
            problems += found
            continue
        peer.values[(src, code, period)] = {"value": value, "unit": unit, "name": indicator, "where": where}
    if problems:
        raise BenchmarkImportError(problems)
    return peer


def read_city_pack(directory: Path | str) -> PeerData:
    """Read another Cityline's pack folder with our pack reader (so it is checked the same way)."""
    from cityline.core.packs.reader import read_pack

    directory = Path(directory)
    pack = read_pack(directory)
    if pack.problems:
        raise BenchmarkImportError([str(p) for p in pack.sorted_problems()])
    benefits = pack.files.get("benefits.yaml") or {}
    city = dict(pack.city or {})
    return _peer_from_records(
        pack.city_key or slugify(directory.name), city, list(benefits.get("city_indicators") or []),
        list(benefits.get("kpis") or []), list(benefits.get("measurements") or []),
        PeerSourceKind.CITY_PACK, directory.name,
    )


def import_city_pack(city: City, directory: Path | str, user=None) -> ImportResult:
    return store(city, [read_city_pack(directory)], user=user)


# --- another Cityline's API -----------------------------------------------------------


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port of an address (the default port when none is written)."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: matches no server
        port = -1
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def _show_origin(origin: tuple[str, str, int | None]) -> str:
    scheme, host, port = origin
    return f"{scheme}://{host}:{port}"


def _off_server(url: str, link: str, origin: tuple[str, str, int | None]) -> BenchmarkImportError:
    return BenchmarkImportError([_("%(url)s: links to %(link)s, which is not on %(server)s (the address given): "
                                   "only links to the same server are followed") % {
                                       "url": url, "link": link, "server": _show_origin(origin)}])


class _SameServerRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to the same scheme, host and port as the address the user gave."""

    def __init__(self, origin: tuple[str, str, int | None]):
        self.origin = origin

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if _origin(newurl) != self.origin:
            raise _off_server(req.full_url, newurl, self.origin)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _get(url: str, origin: tuple[str, str, int | None] | None = None) -> Any:
    """The JSON at ``url``; redirects are followed on ``origin`` only (the server of ``url`` by default)."""
    origin = origin or _origin(url)
    if _origin(url) != origin:
        raise _off_server(url, url, origin)
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "Cityline benchmark"})
    opener = urllib.request.build_opener(_SameServerRedirects(origin))
    try:
        with opener.open(request, timeout=API_TIMEOUT) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        raise BenchmarkImportError([f"{url}: HTTP {exc.code} {exc.reason}"]) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise BenchmarkImportError([f"{url}: cannot connect: {getattr(exc, 'reason', exc)}"]) from exc
    except ValueError as exc:
        raise BenchmarkImportError([f"{url}: not JSON: {exc}"]) from exc


def _all(url: str, origin: tuple[str, str, int | None]) -> list[dict]:
    """Every record of a paginated collection, following ``next`` links on the same server (``origin``) only:
    a link elsewhere is refused, naming it (the server named does not choose where Cityline reads from)."""
    rows: list[dict] = []
    while url:
        page = _get(url, origin)
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise BenchmarkImportError([f"{url}: field results: missing (is this a Cityline API?)"])
        rows.extend(page["results"])
        link = page.get("next")
        if link in (None, ""):
            break
        if not isinstance(link, str):
            raise BenchmarkImportError([f"{url}: field next: not an address"])
        following = urllib.parse.urljoin(url, link)
        if _origin(following) != origin:
            raise _off_server(url, following, origin)
        url = following
    return rows


def read_api(base: str, key: str) -> PeerData:
    """Read a city's published KPIs from another Cityline at ``base`` (e.g. https://cityline.example.org)."""
    base = base.rstrip("/")
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        raise BenchmarkImportError([f"{base}: use an http:// or https:// address"])
    root = f"{base}/api/v1/cities/{urllib.parse.quote(key)}"
    city = _get(root)
    if not isinstance(city, dict) or "name" not in city:
        raise BenchmarkImportError([f"{root}: field name: missing (is this a Cityline API?)"])
    limit = "?_limit=500"
    origin = _origin(base)
    indicators = _all(f"{root}/city-indicators{limit}", origin)
    kpis = _all(f"{root}/kpis{limit}", origin)
    measurements = _all(f"{root}/measurements{limit}", origin)
    for where, rows, needed in ((f"{root}/kpis", kpis, ("key", "indicator")),
                                (f"{root}/city-indicators", indicators, ("key", "source", "code")),
                                (f"{root}/measurements", measurements, ("kpi", "period_end", "value"))):
        for i, row in enumerate(rows):
            for name in needed:
                if name not in row:
                    raise BenchmarkImportError([f"{where}: record {i + 1}: field {name}: missing"])
    return _peer_from_records(key, city, indicators, kpis, measurements, PeerSourceKind.CITYLINE_API, root)


def import_api(city: City, base: str, key: str, user=None) -> ImportResult:
    return store(city, [read_api(base, key)], user=user)


# --- peer assessments (the ISO 37106 maturity a peer publishes) -------------------------------


def _maturity(maturity: Any, where: str) -> dict[str, Any]:
    """Reduce a maturity summary (``cityline.assessment`` shape) to what a peer assessment stores."""
    if not isinstance(maturity, dict):
        raise BenchmarkImportError([f"{where}: field maturity: missing (is this a Cityline API?)"])
    components = maturity.get("components")
    if not isinstance(components, list):
        raise BenchmarkImportError([f"{where}: field maturity.components: missing"])
    rows = []
    for n, c in enumerate(components, start=1):
        if not isinstance(c, dict) or "component" not in c:
            raise BenchmarkImportError([f"{where}: field maturity.components[{n}].component: missing"])
        rows.append({"component": c["component"], "score": c.get("score"), "level": c.get("level")})
    return {"score": maturity.get("score"), "level": maturity.get("level"), "components": rows}


def store_assessment(city: City, peer: dict[str, Any], taken_on: date, maturity: dict[str, Any], kind: str,
                     source: str, user=None) -> PeerAssessment:
    """Create the peer if needed (without touching its values) and create or replace its assessment
    of ``taken_on``, in one transaction."""
    fields = {"taken_on": taken_on, "source_kind": kind, "source": source[:500], **maturity}
    with transaction.atomic():
        try:
            record = PeerCity.objects.filter(city=city, key=peer["key"]).first()
            if record is None:
                record = actions.create(PeerCity, city=city, key=peer["key"], name=peer.get("name") or peer["key"],
                                        country=(peer.get("country") or "").upper()[:2],
                                        population=peer.get("population") or None, source_kind=kind,
                                        source=source[:500], imported_at=timezone.now(), user=user)
            existing = PeerAssessment.objects.filter(peer=record, taken_on=taken_on).first()
            if existing is None:
                return actions.create(PeerAssessment, city=city, peer=record, user=user, **fields)
            return actions.update(existing, user=user, **fields)
        except ValidationError as exc:
            details = "; ".join(f"{k}: {' '.join(str(m) for m in msgs)}"
                                for k, msgs in getattr(exc, "message_dict", {"": exc.messages}).items())
            raise BenchmarkImportError([f"{source}: peer {peer['key']}: {details}"]) from exc


def read_api_assessment(base: str, key: str) -> tuple[dict[str, Any], date, dict[str, Any], str]:
    """A city's published assessment from another Cityline: ``GET {base}/api/v1/cities/{key}/assessment``
    answers only when that city publishes it (B2.g)."""
    base = base.rstrip("/")
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        raise BenchmarkImportError([f"{base}: use an http:// or https:// address"])
    root = f"{base}/api/v1/cities/{urllib.parse.quote(key)}"
    city = _get(root)
    if not isinstance(city, dict) or "name" not in city:
        raise BenchmarkImportError([f"{root}: field name: missing (is this a Cityline API?)"])
    url = f"{root}/assessment"
    try:
        data = _get(url)
    except BenchmarkImportError as exc:
        if exc.problems and exc.problems[0].endswith("HTTP 404 Not Found"):
            raise BenchmarkImportError([f"{url}: HTTP 404 Not Found: {key} does not publish its assessment"]) from exc
        raise
    if not isinstance(data, dict):
        raise BenchmarkImportError([f"{url}: not an assessment (is this a Cityline API?)"])
    try:
        taken_on = date.fromisoformat(str(data.get("on")))
    except ValueError:
        raise BenchmarkImportError([f"{url}: field on: {data.get('on')!r} is not a date"]) from None
    return {"key": key, **city}, taken_on, _maturity(data.get("maturity"), url), url


def import_api_assessment(city: City, base: str, key: str, user=None) -> PeerAssessment:
    peer, taken_on, maturity, url = read_api_assessment(base, key)
    return store_assessment(city, peer, taken_on, maturity, PeerSourceKind.CITYLINE_API, url, user=user)


def import_local_assessment(city: City, key: str, on_date: date | None = None, user=None) -> PeerAssessment:
    """The assessment of a peer hosted by this same Cityline (a City with the peer's key), run now
    with :func:`cityline.assessment.services.assess`; only when that city publishes it (B2.g)."""
    from cityline.assessment.services import assess, is_published

    other = City.objects.filter(key=key).exclude(pk=city.pk).first()
    if other is None:
        raise BenchmarkImportError([f"this instance: no other city with key {key!r}"])
    if not is_published(other):
        raise BenchmarkImportError([f"this instance: {key} does not publish its assessment"])
    a = assess(other, on_date)
    peer = {"key": key, "name": other.name, "country": other.country, "population": other.population}
    return store_assessment(city, peer, a.on_date, _maturity(a.maturity.as_dict(), key), PeerSourceKind.INSTANCE,
                            f"this instance: {key}", user=user)
