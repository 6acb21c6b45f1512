"""Fuzzing the importers with Hypothesis (B10; docs/security.md): whatever a city pack or an uploaded
CSV holds, the importer either succeeds or raises its clear error (PackError, IngestError,
ValidationError) naming the file, row or field; never another exception, and on error nothing is
written: the row counts of every table and the files of the open data store are as before.

The number of examples is small (each import is a real transaction); ``HYPOTHESIS_PROFILE=ci``
makes the run reproducible (conftest.py).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cityline.core.packs import PackError, import_pack

pytestmark = pytest.mark.django_db

SMALL = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "packs" / "small"
PACK_FILES = sorted(p.name for p in SMALL.iterdir() if p.suffix == ".yaml")
FUZZ = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def table_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def store_files(root: Path) -> list[tuple[str, int]]:
    if not root.exists():
        return []
    return sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*") if p.is_file())


# --- the city-pack importer ---------------------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(["", "council", "unknown-key", "2024-02-30", "9999-12-31", "-1", "../x.csv", "open_collaborative",
                     "environment", "yes", "~", "*anchor", "!!python/object:os.system", "{a: 1}", "a" * 400]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=10), inner, max_size=3), max_leaves=6)


def paths_in(node, prefix=()):
    """Every (path) to a value in a parsed YAML tree."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths_in(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths_in(v, prefix + (i,))


def set_at(tree, path, value, delete=False):
    if not path:
        return value
    node = tree
    for step in path[:-1]:
        node = node[step]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return tree


@st.composite
def mutated_pack(draw):
    """(file name, new bytes) for one pack file: a value replaced, a key dropped, or the bytes broken."""
    name = draw(st.sampled_from(PACK_FILES))
    raw = (SMALL / name).read_bytes()
    kind = draw(st.sampled_from(["value", "delete", "bytes", "truncate"]))
    if kind in ("value", "delete"):
        tree = yaml.safe_load(raw)
        paths = [p for p in paths_in(tree) if p]
        path = draw(st.sampled_from(paths))
        tree = set_at(tree, path, draw(values), delete=(kind == "delete"))
        return name, yaml.safe_dump(tree, allow_unicode=True, sort_keys=False).encode("utf-8")
    if kind == "truncate":
        return name, raw[: draw(st.integers(min_value=0, max_value=len(raw)))]
    at = draw(st.integers(min_value=0, max_value=len(raw)))
    junk = draw(st.binary(min_size=1, max_size=12) | st.sampled_from([b"\t", b": [", b"{{", b"\xff\xfe", b"&a *a"]))
    return name, raw[:at] + junk + raw[at:]


@pytest.fixture(scope="module")
def existing_city(django_db_setup, django_db_blocker):
    """The small pack imported once (committed), so mutations also replace an existing city."""
    from django.core.management import call_command

    from cityline.portal.testing import assert_test_database

    with django_db_blocker.unblock():
        assert_test_database()
        import_pack(SMALL, progress=False, trusted=True)
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@FUZZ
@given(mutation=mutated_pack())
def test_a_mutated_pack_imports_or_is_refused_cleanly(existing_city, mutation):
    from django.conf import settings as django_settings

    name, content = mutation
    with tempfile.TemporaryDirectory(prefix="cityline-fuzz-") as tmp:
        pack = Path(tmp) / "pack"
        shutil.copytree(SMALL, pack)
        (pack / name).write_bytes(content)
        before = table_counts(), store_files(Path(django_settings.CITYLINE_OPENDATA_DIR))
        try:
            import_pack(pack, progress=False, trusted=True)
        except PackError as exc:
            assert exc.problems, "a PackError lists its problems"
            for problem in exc.problems:
                assert problem.message.strip()
                assert problem.file, f"problem without a file: {problem}"
            assert (table_counts(), store_files(Path(django_settings.CITYLINE_OPENDATA_DIR))) == before
        # any other exception fails the test


# --- the CSV importer ---------------------------------------------------------------------------

csv_cell = st.one_of(st.text(max_size=12), st.integers().map(str), st.floats().map(str),
                     st.sampled_from(["", '"', '""', "a,b", "\n", "\r\n", "=cmd()", "2026-13-01", "NaN", "\x00"]))
csv_text = st.lists(st.lists(csv_cell, min_size=1, max_size=5), min_size=0, max_size=8).map(
    lambda rows: "\n".join(",".join(r) for r in rows))
csv_bytes = st.one_of(
    st.binary(max_size=300),
    csv_text.map(lambda t: t.encode("utf-8")),
    csv_text.map(lambda t: ("station,time,district,no2,pm10\n" + t).encode("utf-8")),
    csv_text.map(lambda t: t.encode("utf-16")),
    st.sampled_from([b"", b"\xef\xbb\xbf", b"<!DOCTYPE html><p>x</p>", b"PK\x03\x04broken zip", b"\x1f\x8bbroken gz"]),
)


@pytest.fixture
def catalogue(tmp_path, settings):
    from cityline.opendata.models import Distribution
    from cityline.opendata.testing import make_catalogue_city

    settings.CITYLINE_OPENDATA_DIR = tmp_path / "opendata"
    city = make_catalogue_city()
    return Distribution.objects.select_related("dataset", "city").get(city=city, key="air-quality-csv")


@FUZZ
@given(content=csv_bytes, name=st.sampled_from(["upload.csv", "../../escape.csv", "données.csv", "x"]))
def test_random_bytes_upload_or_are_refused_cleanly(catalogue, content, name):
    from django.conf import settings as django_settings

    from cityline.opendata import services
    from cityline.opendata.domain.tabular import IngestError

    store = Path(django_settings.CITYLINE_OPENDATA_DIR)
    with tempfile.TemporaryDirectory(prefix="cityline-fuzz-") as tmp:
        source = Path(tmp) / "upload.csv"
        source.write_bytes(content)
        before = table_counts(), store_files(store)
        try:
            version = services.upload_version(catalogue, source, original_name=name)
        except IngestError as exc:
            assert exc.message.strip() and exc.file, exc
            assert name in exc.message or not exc.params.get("file"), exc.message
            for error in exc.errors:
                assert error.message.strip()
            assert (table_counts(), store_files(store)) == before
        except ValidationError as exc:
            assert exc.messages
            assert (table_counts(), store_files(store)) == before
        else:
            # stored under a name Cityline makes, inside the store, whatever the uploaded name
            stored = services.stored_path(version.path)
            assert store.resolve() in stored.parents and stored.name.startswith("v")
