"""Catalogue search: an in-memory index for CKAN's ``package_search`` (issue 4, item 7; B8, B14).

Design (the performance target is ``package_search`` with 20 rows and two facets under
50 ms at p95 over 10,000 datasets; bench/bench_package_search.py):

- The public part of a city's catalogue is small enough to hold in memory (10,000
  datasets take a few megabytes), so searching does not touch the database at all.
  :class:`CatalogueIndex` is built once from a list of :class:`Entry` values (the web
  layer loads them with a handful of queries and caches the index until a catalogue
  record changes: see :mod:`cityline.opendata.ckan`).
- Free text: an inverted index (token → document numbers and field weights, held as
  three flat numpy arrays built with one ``np.unique`` so 10,000 datasets index in
  about 0.2 s) with a sorted vocabulary, so a query term of three letters or more also matches longer
  words it begins (``read`` finds "readings": a cheap stand-in for Solr's stemming).
  Every term must match (CKAN's default ``q`` behaviour with ``mm`` = all terms).
- Filters (``fq`` and ``field:value`` parts of ``q``) and facets work on numpy arrays:
  each facet field is a pair of parallel arrays (document, value), so a facet count
  over the matching documents is one ``np.bincount`` and a filter is one fancy-index
  assignment. Sorting uses precomputed rank arrays and ``np.lexsort``.

We write this by hand instead of running Solr (what CKAN uses) or a search library:
the catalogue must work on a plain Python install without a search server, the Solr
query forms harvesters send are few (below), and an in-memory index answers in well
under a millisecond. DuckDB over an in-memory table was the other candidate; it needs
a copy of the data per process too and its per-query overhead (~1 ms) is larger.

Supported query syntax (the forms CKAN harvesters and clients use):

- ``q``: words (all must match, over title, description, tags, name and organisation), or
  ``*:*`` / empty for everything. ``field:value`` parts of ``q`` are read as in ``fq`` (CKAN
  sends a ``q`` with a colon to Solr's standard query parser, where ``title:air`` is a query
  on the title); on the text fields ``title``, ``notes`` and ``text`` (all of them) they also
  count towards the score. A field the index does not know is a :class:`SearchQueryError`.
- ``fq``: clauses joined by spaces or ``AND``, each ``[+|-]field:value`` where value is
  a bare word, a quoted phrase, a group ``(a OR b)``, a range ``[from TO to]`` (dates,
  ``*`` and ``NOW`` with Solr date math, e.g. ``NOW-1YEAR`` or ``NOW/DAY``, allowed; for
  ``metadata_modified`` and ``metadata_created``), or
  ``*`` (field present). Fields: ``organization``, ``owner_org``, ``groups``, ``tags``,
  ``res_format``, ``license_id``, ``name``, ``id`` (whole values, as Solr's string fields),
  ``title``, ``notes``, ``text`` (words, as Solr's text fields: a word matches as in free
  text, several words or a quoted phrase match as a phrase, within one field),
  ``metadata_modified``, ``metadata_created``; ``type``/``dataset_type`` (``dataset``),
  ``state`` (``active``), ``capacity`` (``public``) and ``site_id`` are accepted and match
  every public dataset. Values compare case-insensitively.
- ``sort``: comma-separated ``field asc|desc`` over ``score``, ``metadata_modified``,
  ``metadata_created``, ``title_string`` (``title``), ``name``, ``num_resources``,
  ``num_tags``; default ``score desc, metadata_modified desc``.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

__all__ = ["FACET_FIELDS", "CatalogueIndex", "Entry", "SearchQueryError", "SearchResult", "tokens"]

#: Fields that can be faceted and filtered on.
FACET_FIELDS = ("organization", "groups", "tags", "res_format", "license_id")
#: Filter-only fields holding one value per dataset.
_SINGLE_FIELDS = ("name", "id", "owner_org")
_DATE_FIELDS = ("metadata_modified", "metadata_created")
#: Word-matched fields (Solr ``text`` type in CKAN's schema); ``text`` is every field free text reads.
TEXT_FIELDS = ("title", "notes", "text")
#: Fields every public dataset matches (CKAN adds them to queries itself).
_ALWAYS = {"type": {"dataset"}, "dataset_type": {"dataset"}, "state": {"active"}, "capacity": {"public"},
           "site_id": None}
SORT_FIELDS = ("score", "metadata_modified", "metadata_created", "title_string", "name", "num_resources", "num_tags")
DEFAULT_SORT = "score desc, metadata_modified desc"
#: Field weights for free-text scoring.
WEIGHTS = {"title": 4.0, "tags": 3.0, "name": 2.0, "organization": 1.5, "notes": 1.0}
MIN_PREFIX = 3


class SearchQueryError(ValueError):
    """A ``q``, ``fq``, ``sort`` or facet parameter the index cannot understand (CKAN's "Search Query Error")."""


def _fold(text: str) -> str:
    """Lower case without accents: ``"Qualité de l'Air"`` → ``"qualite de l'air"``."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


_WORD = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return _WORD.findall(_fold(text or ""))


@dataclass
class Entry:
    """One public dataset as the index sees it."""

    id: str
    name: str
    title: str
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    organization: str = ""  # key (CKAN name) of the publisher
    organization_title: str = ""
    owner_org: str = ""  # its id
    groups: list[str] = field(default_factory=list)
    res_format: list[str] = field(default_factory=list)
    license_id: str = ""
    metadata_modified: str = ""  # ISO 8601, UTC
    metadata_created: str = ""
    num_resources: int = 0
    pk: Any = None  # the caller's handle on the record (the web layer builds the CKAN dictionary from it)


@dataclass
class SearchResult:
    count: int
    entries: list[Entry]
    facets: dict[str, dict[str, int]]
    search_facets: dict[str, dict]
    sort: str


class _Facet:
    """One multi-valued field as parallel arrays: document numbers and value numbers."""

    def __init__(self, per_doc: list[list[str]]):
        values: dict[str, int] = {}
        docs, vals = [], []
        intern = values.setdefault
        for d, items in enumerate(per_doc):
            if len(items) == 1:  # the common case, without de-duplication
                v = items[0]
                if v != "":
                    docs.append(d)
                    vals.append(intern(v, len(values)))
                continue
            for v in dict.fromkeys(items):  # de-duplicated, order kept
                if v == "":
                    continue
                docs.append(d)
                vals.append(intern(v, len(values)))
        self.values = list(values)
        self.doc = np.asarray(docs, dtype=np.int32)
        self.val = np.asarray(vals, dtype=np.int32)
        self.folded: dict[str, list[int]] = {}
        for i, v in enumerate(self.values):
            self.folded.setdefault(_fold(v), []).append(i)
        # documents of value i: self.doc[self.order[self.bounds[i]:self.bounds[i + 1]]]
        self.order = np.argsort(self.val, kind="stable")
        self.bounds = np.searchsorted(self.val[self.order], np.arange(len(self.values) + 1))
        self.has_any = np.zeros(len(per_doc), dtype=bool)
        self.has_any[self.doc] = True

    def docs_of(self, i: int) -> np.ndarray:
        return self.doc[self.order[self.bounds[i]:self.bounds[i + 1]]]

    def mask(self, n: int, wanted: Iterable[str]) -> np.ndarray:
        m = np.zeros(n, dtype=bool)
        for w in wanted:
            for i in self.folded.get(_fold(w), ()):
                m[self.docs_of(i)] = True
        return m

    def counts(self, matched: np.ndarray) -> np.ndarray:
        return np.bincount(self.val[matched[self.doc]], minlength=len(self.values))


# A clause: optional sign, field, colon, then a quoted phrase, a range, a group or a bare value.
_CLAUSE = re.compile(
    r'\s*(?P<sign>[+-]?)(?:(?P<field>[A-Za-z_][\w.]*):)?'
    r'(?P<value>"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\{[^}]*\}|\([^)]*\)|[^\s()"]+)'
)


def _unquote(v: str) -> str:
    if len(v) >= 2 and v[0] == v[-1] == '"':
        return re.sub(r"\\(.)", r"\1", v[1:-1])
    return re.sub(r"\\(.)", r"\1", v)


_DATE_MATH = re.compile(r"([+-])(\d+)([A-Z]+)|/([A-Z]+)")
_DATE_UNITS = {"YEAR": "year", "MONTH": "month", "DAY": "day", "HOUR": "hour", "MINUTE": "minute",
               "SECOND": "second"}


def _date_math(text: str, field_name: str) -> dt.datetime:
    """Solr date math on NOW (UTC), applied left to right: ``NOW``, ``NOW-1YEAR``, ``NOW+2DAYS``,
    ``NOW/DAY`` (rounded down to the unit), ``NOW/DAY-7DAYS``; units YEAR, MONTH, DAY, HOUR, MINUTE,
    SECOND, each also plural. Adding months or years keeps the day of the month where it exists
    (Jan 31 + 1 MONTH is the last day of February), as Solr does."""
    value = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    rest, pos = text.upper()[3:], 0
    while pos < len(rest):
        m = _DATE_MATH.match(rest, pos)
        unit = m and _DATE_UNITS.get((m.group(3) or m.group(4)).removesuffix("S"))
        if not unit:
            raise SearchQueryError(f"{field_name}: cannot read the date math in '{text}' (write e.g. NOW-1YEAR, "
                                   "NOW+2DAYS or NOW/DAY; units YEAR, MONTH, DAY, HOUR, MINUTE, SECOND)")
        pos = m.end()
        if m.group(4):  # round down
            keep = list(_DATE_UNITS.values()).index(unit)
            value = value.replace(microsecond=0, **{u: 1 if u in ("month", "day") else 0
                                                    for u in list(_DATE_UNITS.values())[keep + 1:]})
            continue
        n = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
        try:
            if unit in ("year", "month"):
                months = value.year * 12 + value.month - 1 + (n * 12 if unit == "year" else n)
                year, month = divmod(months, 12)
                days = calendar.monthrange(year, month + 1)[1]
                value = value.replace(year=year, month=month + 1, day=min(value.day, days))
            else:
                value += dt.timedelta(**{unit + "s": n})
        except (ValueError, OverflowError):
            raise SearchQueryError(f"{field_name}: the date '{text}' is out of range") from None
    return value


def _parse_date(text: str, field_name: str) -> str | None:
    """A range bound as comparable ISO text; ``None`` for ``*``; ``NOW`` with Solr date math (:func:`_date_math`)."""
    text = text.strip()
    if text == "*":
        return None
    if text.upper().startswith("NOW"):
        return _date_math(text, field_name).strftime("%Y-%m-%dT%H:%M:%S.%f")
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SearchQueryError(f"{field_name}: '{text}' is not a date (write e.g. 2026-01-31T00:00:00Z)") from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


@dataclass
class _Clause:
    field: str | None
    values: list[str]
    negate: bool = False
    range: tuple[str | None, str | None, bool, bool] | None = None


def parse_clauses(text: str) -> list[_Clause]:
    """Split a Solr-style query into clauses (see the module docstring); raise on what is not supported."""
    out: list[_Clause] = []
    pos, text = 0, text or ""
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _CLAUSE.match(text, pos)
        if not m:
            raise SearchQueryError(f"cannot read the query from: {text[pos:].strip()[:40]!r}")
        pos = m.end()
        value, fld, sign = m.group("value"), m.group("field"), m.group("sign")
        if fld is None and value in ("AND", "&&"):
            continue
        if fld is None and value in ("OR", "||", "NOT"):
            raise SearchQueryError(f"'{value}' between clauses is not supported; use field:(a OR b)")
        if fld is None and value == "*:*":
            continue
        clause = _Clause(fld, [], negate=sign == "-")
        if value[0] in "[{":
            if value[-1] not in "]}":
                raise SearchQueryError(f"unclosed range in {value!r}")
            inner = value[1:-1]
            parts = re.split(r"\s+TO\s+", inner.strip())
            if len(parts) != 2:
                raise SearchQueryError(f"a range is written [from TO to]; got {value!r}")
            clause.range = (parts[0], parts[1], value[0] == "[", value[-1] == "]")
        elif value[0] == "(":
            items = [_unquote(x) for x in re.findall(r'"(?:[^"\\]|\\.)*"|[^\s()]+', value[1:-1])]
            clause.values = [x for x in items if x not in ("OR", "||")]
            if any(x in ("AND", "&&", "NOT") for x in clause.values):
                raise SearchQueryError(f"only OR is supported inside a group; got {value!r}")
        else:
            clause.values = [_unquote(value)]
        out.append(clause)
    return out


def _has_phrase(words: list[str], phrase: list[str]) -> bool:
    """Whether ``phrase`` occurs in ``words``, each of its words matching as in free text (the
    same word, or one it begins when it has three letters or more)."""
    def same(w: str, t: str) -> bool:
        return w == t or (len(t) >= MIN_PREFIX and w.startswith(t))
    return any(all(same(words[i + k], t) for k, t in enumerate(phrase)) for i in range(len(words) - len(phrase) + 1))


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _rank(keys: list, reverse: bool = False) -> np.ndarray:
    """Each document's position when sorted by ``keys``."""
    order = sorted(range(len(keys)), key=keys.__getitem__, reverse=reverse)
    rank = np.empty(len(keys), dtype=np.int32)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(keys), dtype=np.int32)
    return rank


class CatalogueIndex:
    """The searchable public catalogue of one city (see the module docstring)."""

    def __init__(self, entries: list[Entry], titles: dict[str, dict[str, str]] | None = None):
        """``titles``: display names per facet field and value (organisation and group titles)."""
        self.entries = entries
        self.n = n = len(entries)
        self.titles = titles or {}
        self.by_name = {e.name: i for i, e in enumerate(entries)}
        self.by_id = {e.id: i for i, e in enumerate(entries)}
        self.facets = {f: _Facet([_as_list(getattr(e, f)) for e in entries]) for f in FACET_FIELDS}
        self.singles = {f: _Facet([[getattr(e, f)] for e in entries]) for f in _SINGLE_FIELDS}
        self.dates = {f: np.asarray([getattr(e, f) for e in entries], dtype=object) for f in _DATE_FIELDS}
        # Inverted index as flat arrays: for the i-th word of the sorted vocabulary, its documents
        # and summed field weights are post_doc / post_w[bounds[i]:bounds[i + 1]].
        words_in: list[str] = []  # every word of every field of every document, in order
        lengths: list[int] = []  # words per (document, field)
        org_memo: dict[tuple[str, str], list[str]] = {}
        for e in entries:
            org = (e.organization_title, e.organization)
            org_tokens = org_memo.get(org)
            if org_tokens is None:
                org_tokens = org_memo[org] = tokens(f"{org[0]} {org[1]}")
            for toks in (tokens(e.title), tokens(e.notes), tokens(" ".join(e.tags)),
                         tokens(e.name.replace("-", " ")), org_tokens):
                words_in.extend(toks)
                lengths.append(len(toks))
        tok_id = {w: i for i, w in enumerate(dict.fromkeys(words_in))}
        ids = np.fromiter(map(tok_id.__getitem__, words_in), dtype=np.int64, count=len(words_in))
        field_w = np.asarray([WEIGHTS[f] for f in ("title", "notes", "tags", "name", "organization")])
        count = np.asarray(lengths, dtype=np.int64)
        doc = np.repeat(np.repeat(np.arange(n, dtype=np.int64), len(field_w)), count)
        weight = np.repeat(np.tile(field_w, n), count)
        words = list(tok_id)
        self.vocab = sorted(words)
        rank = np.empty(len(words), dtype=np.int64)
        if words:
            rank[np.asarray(sorted(range(len(words)), key=words.__getitem__), dtype=np.int64)] = np.arange(len(words))
        pair = rank[ids] * max(n, 1) + doc  # (word, document), word-major
        pairs, inverse = np.unique(pair, return_inverse=True)
        self.post_w = np.bincount(inverse.ravel(), weights=weight, minlength=len(pairs))
        self.post_doc = (pairs % max(n, 1)).astype(np.int64)
        self.post_bounds = np.searchsorted(pairs // max(n, 1), np.arange(len(words) + 1))
        self._field_words: dict[str, tuple[list[str], list[np.ndarray]]] = {}  # built on first use
        self.ranks = {
            "metadata_modified": _rank([e.metadata_modified for e in entries]),
            "metadata_created": _rank([e.metadata_created for e in entries]),
            "title_string": _rank([(_fold(e.title), e.name) for e in entries]),
            "name": _rank([e.name for e in entries]),
            "num_resources": _rank([e.num_resources for e in entries]),
            "num_tags": _rank([len(e.tags) for e in entries]),
        }

    # ------------------------------------------------------------------ matching

    def _term_scores(self, term: str) -> np.ndarray:
        """Each document's score for one query word: its field weights where the word is
        exact, half of them where it only begins a longer word (three letters or more)."""
        lo = bisect.bisect_left(self.vocab, term)
        exact = lo < len(self.vocab) and self.vocab[lo] == term
        hi = bisect.bisect_left(self.vocab, term + "\U0010ffff") if len(term) >= MIN_PREFIX else lo + exact
        b = self.post_bounds
        scores = np.zeros(self.n, dtype=np.float64)
        if hi > lo:
            a, z = b[lo], b[hi]
            scores += np.bincount(self.post_doc[a:z], weights=self.post_w[a:z] * 0.5, minlength=self.n)
        if exact:  # the other half for the exact word
            a, z = b[lo], b[lo + 1]
            scores[self.post_doc[a:z]] += self.post_w[a:z] * 0.5
        return scores

    def _texts(self, f: str, d: int) -> list[str]:
        """The values of text field ``f`` of document ``d`` (a phrase matches within one of them)."""
        e = self.entries[d]
        if f != "text":
            return [getattr(e, f)]
        return [e.title, e.notes, *e.tags, e.name.replace("-", " "), e.organization_title, e.organization]

    def _field_term_scores(self, f: str, term: str) -> np.ndarray:
        """:meth:`_term_scores` within one text field (``text``: all of them)."""
        if f == "text":
            return self._term_scores(term)
        if f not in self._field_words:  # postings of title or notes words, built when first asked for
            post: dict[str, list[int]] = {}
            for d in range(self.n):
                for w in dict.fromkeys(tokens(self._texts(f, d)[0])):
                    post.setdefault(w, []).append(d)
            vocab = sorted(post)
            self._field_words[f] = (vocab, [np.asarray(post[w], dtype=np.int64) for w in vocab])
        vocab, docs = self._field_words[f]
        lo = bisect.bisect_left(vocab, term)
        exact = lo < len(vocab) and vocab[lo] == term
        hi = bisect.bisect_left(vocab, term + "\U0010ffff") if len(term) >= MIN_PREFIX else lo + exact
        scores = np.zeros(self.n, dtype=np.float64)
        if hi > lo:
            scores += np.bincount(np.concatenate(docs[lo:hi]), minlength=self.n) * (WEIGHTS[f] * 0.5)
        if exact:
            scores[docs[lo]] += WEIGHTS[f] * 0.5
        return scores

    def _text_scores(self, c: _Clause) -> np.ndarray:
        """Scores for a clause on a text field (0: no match). One word matches as in free text;
        several (a quoted phrase, or ``air-quality``) must follow each other within one value."""
        f = c.field
        if c.range is not None:
            raise SearchQueryError(f"{f}: ranges apply to dates only")
        total = np.zeros(self.n, dtype=np.float64)
        for value in c.values:  # a group (a OR b): any of them
            if value == "*":
                total += np.fromiter((any(t.strip() for t in self._texts(f, d)) for d in range(self.n)), bool, self.n)
                continue
            words = tokens(value)
            if not words:
                continue
            per_word = [self._field_term_scores(f, w) for w in words]
            s = np.where(np.logical_and.reduce([p > 0 for p in per_word]), np.sum(per_word, axis=0), 0.0)
            if len(words) > 1:
                for d in np.flatnonzero(s):
                    if not any(_has_phrase(tokens(t), words) for t in self._texts(f, int(d))):
                        s[d] = 0
            total += s
        return total

    def _clause_mask(self, c: _Clause, scores: np.ndarray | None = None) -> np.ndarray:
        """The documents a field clause matches; a text field clause also adds its score to ``scores``."""
        n = self.n
        f = c.field
        if f in TEXT_FIELDS:
            s = self._text_scores(c)
            if scores is not None and not c.negate:
                scores += s
            return s > 0
        if f in self.facets or f in self.singles:
            facet = self.facets.get(f) or self.singles[f]
            if c.range is not None:
                raise SearchQueryError(f"{f}: ranges apply to dates only")
            if c.values == ["*"]:
                return facet.has_any.copy()
            return facet.mask(n, c.values)
        if f in self.dates:
            if c.range is None:
                raise SearchQueryError(f"{f}: write a range, e.g. {f}:[2026-01-01T00:00:00Z TO *]")
            lo, hi, lo_inc, hi_inc = c.range
            lo, hi = _parse_date(lo, f), _parse_date(hi, f)
            col = self.dates[f]
            m = np.ones(n, dtype=bool)
            if lo is not None:
                m &= (col >= lo) if lo_inc else (col > lo)
            if hi is not None:
                m &= (col <= hi) if hi_inc else (col < hi)
            return m.astype(bool)
        if f in _ALWAYS:
            allowed = _ALWAYS[f]
            ok = allowed is None or c.values == ["*"] or any(_fold(v) in allowed for v in c.values)
            return np.full(n, ok, dtype=bool)
        known = ", ".join([*FACET_FIELDS, *_SINGLE_FIELDS, *TEXT_FIELDS, *_DATE_FIELDS, *_ALWAYS])
        raise SearchQueryError(f"unknown field '{f}' (known: {known})")

    def match(self, q: str = "", fq: str = "") -> tuple[np.ndarray, np.ndarray]:
        """The matching documents (boolean mask) and their free-text scores."""
        mask = np.ones(self.n, dtype=bool)
        scores = np.zeros(self.n, dtype=np.float64)
        words: list[str] = []
        # A q with a colon goes to Solr's standard query parser in CKAN: field:value there is a
        # query on that field (scored), as in fq (not scored); an unknown field is an error.
        q_clauses = [(c, scores) for c in parse_clauses(q)]
        for c, _scored in q_clauses:  # a web address in q is text, not a query on a field "https"
            if c.field in ("http", "https") and c.range is None and all(v.startswith("//") for v in c.values):
                c.values, c.field = [f"{c.field}:{v}" for v in c.values], None
        for c, scored in [*q_clauses, *((c, None) for c in parse_clauses(fq))]:
            if c.field is None:
                if c.negate:
                    raise SearchQueryError("excluding words (-word) is not supported")
                words.extend(t for v in c.values for t in tokens(v))
                continue
            m = self._clause_mask(c, scored)
            mask &= ~m if c.negate else m
        for term in dict.fromkeys(words):
            s = self._term_scores(term)
            mask &= s > 0
            scores += s
        return mask, scores

    # ------------------------------------------------------------------ the search

    @staticmethod
    def parse_sort(sort: str | None) -> list[tuple[str, bool]]:
        """``"title_string asc, name desc"`` → ``[("title_string", False), ("name", True)]`` (True = descending)."""
        out = []
        for item in (sort or DEFAULT_SORT).split(","):
            parts = item.split()
            if not parts:
                continue
            if len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
                raise SearchQueryError(f"cannot sort by '{item.strip()}': write 'field asc' or 'field desc'")
            name = {"title": "title_string"}.get(parts[0], parts[0])
            if name not in SORT_FIELDS:
                raise SearchQueryError(f"cannot sort by '{parts[0]}' (known: {', '.join(SORT_FIELDS)})")
            out.append((name, len(parts) == 2 and parts[1].lower() == "desc"))
        if not out:
            raise SearchQueryError("empty sort")
        return out

    def search(self, q: str = "", fq: str = "", *, rows: int = 10, start: int = 0, sort: str | None = None,
               facet_fields: Iterable[str] = (), facet_limit: int = 50, facet_mincount: int = 1) -> SearchResult:
        keys = self.parse_sort(sort)
        facet_fields = list(dict.fromkeys(facet_fields))
        for f in facet_fields:
            if f not in self.facets:
                raise SearchQueryError(f"cannot facet on '{f}' (known: {', '.join(FACET_FIELDS)})")
        mask, scores = self.match(q, fq)
        docs = np.flatnonzero(mask)
        count = int(docs.size)
        page: list[int] = []
        if rows > 0 and start < count:
            lex = []
            for name, desc in reversed(keys):  # np.lexsort: the last key is the primary one
                if name == "score":
                    v = scores[docs]
                    lex.append(-v if desc else v)
                else:
                    r = self.ranks[name][docs]
                    lex.append(-r if desc else r)
            lex.insert(0, self.ranks["name"][docs])  # a stable final tie-break
            order = np.lexsort(lex)
            page = docs[order[start:start + rows]].tolist()
        facets: dict[str, dict[str, int]] = {}
        search_facets: dict[str, dict] = {}
        for f in facet_fields:
            facet = self.facets[f]
            counts = facet.counts(mask)
            idx = np.flatnonzero(counts >= max(facet_mincount, 1))
            ordered = sorted(idx.tolist(), key=lambda i: (-int(counts[i]), facet.values[i]))
            if facet_limit >= 0:
                ordered = ordered[:facet_limit]
            facets[f] = {facet.values[i]: int(counts[i]) for i in ordered}
            titles = self.titles.get(f, {})
            search_facets[f] = {"title": f, "items": [
                {"name": facet.values[i], "display_name": titles.get(facet.values[i], facet.values[i]),
                 "count": int(counts[i])} for i in ordered]}
        sort_text = ", ".join(f"{n} {'desc' if d else 'asc'}" for n, d in keys)
        return SearchResult(count, [self.entries[i] for i in page], facets, search_facets, sort_text)

    # ------------------------------------------------------------------ lookups

    def get(self, id_or_name: str) -> Entry | None:
        i = self.by_id.get(id_or_name)
        if i is None:
            i = self.by_name.get(id_or_name)
        return None if i is None else self.entries[i]

    def facet_counts(self, f: str) -> dict[str, int]:
        """Datasets per value of a facet field over the whole catalogue."""
        facet = self.facets[f]
        counts = np.bincount(facet.val, minlength=len(facet.values))
        return {v: int(c) for v, c in zip(facet.values, counts)}
