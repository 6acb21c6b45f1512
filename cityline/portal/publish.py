"""``cityline publish --out DIR``: the whole public site as static files.

Every page in the registry (``cityline.portal.registry``) is rendered for every
city and every language through Django's test client, exactly as the live site
serves it, and written under DIR:

- ``/riverford/roadmap/`` → ``DIR/riverford/roadmap/index.html``
- ``/fr/riverford/roadmap.json`` → ``DIR/fr/riverford/roadmap.json``
- the static assets the pages use → ``DIR/static/...``

Links inside the pages are rewritten to relative ones (``../vision/index.html``),
so the folder works from any web server, in any sub-folder, and opened from disk.
Pages registered by later issues join the export with no change here.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.test.utils import override_settings
from django.utils import translation
from tqdm import tqdm

from . import registry

#: href="/..." and src="/..." (not protocol-relative "//host").
_LINK = re.compile(r'\b(href|src)="(/(?!/)[^"]*)"')
#: Static assets of the portal always copied, even if no page links them yet.
ALWAYS_COPY_PREFIX = "portal/"
#: The files the last export wrote, one a line, so the next one removes those no longer published.
MANIFEST = ".cityline-published"


class PublishError(Exception):
    pass


@dataclass
class Report:
    pages: int = 0
    downloads: int = 0
    assets: int = 0
    removed: int = 0
    files: list[str] = field(default_factory=list)


def output_file(url_path: str) -> str:
    """The file (relative to the site root) that holds a URL path: directories get index.html."""
    rel = url_path.lstrip("/")
    if not rel or rel.endswith("/"):
        rel += "index.html"
    return rel


def relative_link(from_file: str, target: str) -> str:
    """A link from one exported file to a site-absolute URL path, as a relative URL."""
    path, sep, fragment = target.partition("#")
    path = path.split("?", 1)[0]
    start = posixpath.dirname(from_file) or "."
    rel = posixpath.relpath(output_file(path), start)
    return rel + (sep + fragment if sep else "")


def rewrite_links(html: str, from_file: str, static_used: set[str]) -> str:
    """Make every site-absolute link relative to ``from_file``; note the static files used."""
    static_url = settings.STATIC_URL

    def repl(match: re.Match) -> str:
        attr, target = match.group(1), match.group(2)
        if target.startswith(static_url):
            static_used.add(target[len(static_url):].split("?", 1)[0])
        return f'{attr}="{relative_link(from_file, target)}"'

    return _LINK.sub(repl, html)


def collect_paths(cities) -> list[tuple[str, str]]:
    """Every (language, URL path) of the public site: site pages once, city pages per city."""
    result: list[tuple[str, str]] = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for page in registry.pages("site"):
                result.extend((code, p) for p in page.paths(None))
            for city in cities:
                for page in registry.pages("city"):
                    result.extend((code, p) for p in page.paths(city))
    seen: set[tuple[str, str]] = set()
    return [x for x in result if not (x in seen or seen.add(x))]


def publish(out: Path, city_key: str | None = None, progress: bool = True) -> Report:
    """Render the public site into ``out``. Raises PublishError for an unknown city or a failing page."""
    from cityline.core.models import City

    cities = list(City.objects.order_by("key"))
    if city_key:
        cities = [c for c in cities if c.key == city_key]
        if not cities:
            known = ", ".join(c.key for c in City.objects.order_by("key")) or "none"
            raise PublishError(f"no city with key {city_key!r} (cities here: {known})")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    report = Report()
    static_used: set[str] = set()
    client = Client(HTTP_X_CITYLINE_EXPORT="1")  # pages may tell an export from a visit (no take-up counted)
    items = collect_paths(cities)
    # The test client talks to the application in-process; allow its host name
    # whatever the deployment's ALLOWED_HOSTS are.
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]), warnings.catch_warnings():
        # WhiteNoise warns when STATIC_ROOT was never collected; the export reads assets from the finders.
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
        for _lang, url in tqdm(items, desc="publish", unit="file", file=sys.stderr, disable=not progress):
            response = client.get(url)
            if response.status_code != 200:
                raise PublishError(f"{url} answered {response.status_code}; nothing more was written")
            rel = output_file(url)
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            content_type = response.get("Content-Type", "")
            if content_type.startswith("text/html"):
                html = rewrite_links(response.content.decode("utf-8"), rel, static_used)
                target.write_text(html, encoding="utf-8")
                report.pages += 1
            else:
                target.write_bytes(response.content)
                report.downloads += 1
            report.files.append(rel)
    report.assets = copy_static(out, static_used)
    static_dir = settings.STATIC_URL.strip("/")
    written = set(report.files) | {f"{static_dir}/{p}" for p in static_wanted(static_used)}
    report.removed = remove_stale(out, written, [c.key for c in cities] if city_key else None)
    return report


def _city_of(rel: str) -> str | None:
    """The city key of an exported file (``riverford/...`` or ``fr/riverford/...``), or None for site files."""
    parts = rel.split("/")
    languages = {code for code, _name in settings.LANGUAGES}
    if len(parts) > 2 and parts[0] in languages:
        return parts[1]
    return parts[0] if len(parts) > 1 else None


def remove_stale(out: Path, written: set[str], only_cities: list[str] | None) -> int:
    """Remove the files the previous export into ``out`` wrote and this one did not (a record no longer
    published must not stay on the static site); files Cityline never wrote there are left alone. With
    ``only_cities`` (``--city``) only those cities' files are concerned. Writes the new manifest."""
    manifest = out / MANIFEST
    previous = set(manifest.read_text(encoding="utf-8").splitlines()) if manifest.is_file() else set()
    keep = set() if only_cities is None else {p for p in previous if _city_of(p) not in only_cities}
    removed = 0
    root = out.resolve()
    for rel in sorted(previous - written - keep):
        target = (out / rel).resolve()
        if root not in target.parents or not target.is_file():
            continue  # a manifest edited by hand never removes anything outside the folder
        target.unlink()
        removed += 1
        parent = target.parent
        while parent != root and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    manifest.write_text("".join(f"{p}\n" for p in sorted(written | keep)), encoding="utf-8")
    return removed


def static_wanted(used: set[str]) -> set[str]:
    """The static files an export copies: those the pages link to, plus all of the portal's own assets."""
    wanted = set(used)
    for finder in finders.get_finders():
        for rel_path, _storage in finder.list(ignore_patterns=[]):
            rel_path = rel_path.replace("\\", "/")
            if rel_path.startswith(ALWAYS_COPY_PREFIX):
                wanted.add(rel_path)
    return wanted


def copy_static(out: Path, used: set[str]) -> int:
    """Copy the static files the pages link to, plus all of the portal's own assets."""
    wanted = static_wanted(used)
    static_dir = settings.STATIC_URL.strip("/")
    copied = 0
    for rel_path in sorted(wanted):
        source = finders.find(rel_path)
        if source is None:
            raise PublishError(f"a page links to the static file {rel_path!r}, which does not exist")
        target = out / static_dir / rel_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        copied += 1
    return copied


def run(args) -> int:
    """Entry point of ``cityline publish`` (see cityline/cli.py)."""
    try:
        report = publish(Path(args.out), getattr(args, "city", None))
    except PublishError as exc:
        print(f"cityline publish: {exc}", file=sys.stderr)
        return 2
    print(f"Published {report.pages} pages, {report.downloads} data files and {report.assets} assets "
          f"to {Path(args.out).resolve()}"
          + (f"; removed {report.removed} files no longer published" if report.removed else ""))
    return 0
