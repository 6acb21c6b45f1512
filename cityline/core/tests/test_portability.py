"""What SQLite and PostgreSQL must agree on (cityline.core.portability).

A city moves between the two with city packs, so whatever one database accepts the other must
accept, and a search must find the same records on both. Every test here runs on whichever engine
``DATABASE_URL`` names, and must pass on both.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import (MaxLengthValidator, MaxValueValidator, MinValueValidator,
                                    ProhibitNullCharactersValidator)
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower, Upper

from cityline.architecture.models import MigrationStep
from cityline.benefits.models import Measurement
from cityline.core import portability
from cityline.core.models import City, Organisation
from cityline.core.packs import PackError, import_pack, validate_pack
from cityline.developments.models import DevelopmentProject
from cityline.observations.compute import quantise
from cityline.strategy.models import Vision, VisionObjective

from .packs_helpers import SMALL, copy_pack, edit, snapshot


def _bounds(field: models.Field) -> tuple[int | None, int | None]:
    """The tightest bounds the field's validators (those Django adds for the connection included) enforce."""
    low = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
    high = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
    return (max(low) if low else None, min(high) if high else None)


def test_every_integer_field_accepts_only_what_postgresql_stores():
    """SQLite takes any 64-bit integer in any integer column; PostgreSQL's smallint and integer do not."""
    wrong = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            internal = field.get_internal_type()
            if not isinstance(field, models.IntegerField) or internal not in portability.POSTGRESQL_INTEGER_RANGES:
                continue
            low, high = portability.POSTGRESQL_INTEGER_RANGES[internal]
            got_low, got_high = _bounds(field)
            if got_low is None or got_low < low or got_high is None or got_high > high:
                wrong.append(f"{model._meta.label}.{field.name} ({internal}): {got_low}..{got_high}")
    assert not wrong, "\n".join(wrong)


def test_declared_bounds_stay_and_none_is_added_twice():
    progress = apps.get_model("strategy", "Project")._meta.get_field("progress")
    assert _bounds(progress) == (0, 100)
    order = MigrationStep._meta.get_field("order")
    assert sum(isinstance(v, MaxValueValidator) for v in order.validators) == 1
    assert _bounds(order) == (0, 32767)


@pytest.mark.django_db
def test_a_small_integer_out_of_postgresqls_range_is_refused_on_either_database():
    """The audit's example: a migration step's order of 99999999 was stored on SQLite only."""
    city = City.objects.create(key="c", name="C")
    step = MigrationStep(city=city, key="s", title="Step", order=99999999)
    with pytest.raises(ValidationError) as err:
        step.full_clean(validate_constraints=False)
    assert "order" in err.value.message_dict
    assert "32767" in " ".join(err.value.message_dict["order"])
    step.order = 32767
    step.full_clean(exclude=[f.name for f in MigrationStep._meta.fields if f.name != "order"])


def _refused_strategy_edit(tmp_path, old: str, new: str) -> tuple[Path, int, list[str]]:
    """The small city imported, then a copy of its pack with ``old`` replaced by ``new`` in strategy.yaml imported
    over it: refused whole, nothing stored changed. The pack, the edited line and the problems, as text."""
    import_pack(SMALL, progress=False, trusted=True)
    pack = copy_pack(SMALL, tmp_path / "pack")
    line = edit(pack, "strategy.yaml", old, new)
    before = snapshot()
    with pytest.raises(PackError) as err:
        import_pack(pack, progress=False, trusted=True)
    assert snapshot() == before
    return pack, line, [str(p) for p in err.value.problems]


@pytest.mark.django_db
def test_a_pack_with_an_integer_postgresql_refuses_is_refused_by_name_on_either_database(tmp_path):
    pack, line, problems = _refused_strategy_edit(tmp_path, "    order: 2\n", "    order: 99999999\n")
    assert f"strategy.yaml:{line}: principles[0].order: 99999999 is too large: the maximum is 32767" in problems
    with pytest.raises(PackError):
        validate_pack(pack)


# --- case-insensitive lookups on non-ASCII text ---------------------------------------------------


@pytest.fixture
def names(db):
    city = City.objects.create(key="c", name="C")
    for key, name in [("zurich", "Wasserversorgung Zürich"), ("ecole", "école des Mines"), ("strasse", "Straße AG"),
                      ("ascii", "Plain Water Ltd"), ("greek", "Δήμος Αθηναίων")]:
        Organisation.objects.create(city=city, key=key, name=name, sector="public")
    return city


def _keys(**lookup) -> list[str]:
    return sorted(Organisation.objects.filter(**lookup).values_list("key", flat=True))


@pytest.mark.django_db
def test_case_insensitive_lookups_fold_non_ascii_letters_on_either_database(names):
    assert _keys(name__icontains="ZÜRICH") == ["zurich"]
    assert _keys(name__icontains="zürich") == ["zurich"]
    assert _keys(name__istartswith="ÉCOLE") == ["ecole"]
    assert _keys(name__iexact="ÉCOLE DES MINES") == ["ecole"]
    assert _keys(name__iendswith="αθηναίων") == ["greek"]
    assert _keys(name__icontains="water") == ["ascii"]  # ASCII as before
    # PostgreSQL folds one character to one: "ß" does not become "SS"; SQLite now answers the same
    assert _keys(name__icontains="STRASSE") == []
    assert _keys(name__icontains="straße") == ["strasse"]
    # LIKE's wildcards in the searched text are still plain characters
    assert _keys(name__icontains="%") == [] and _keys(name__icontains="_") == []


@pytest.mark.django_db
def test_upper_and_lower_expressions_fold_non_ascii_letters_on_either_database(names):
    row = Organisation.objects.filter(key="ecole").annotate(up=Upper("name"), low=Lower("name")).get()
    assert (row.up, row.low) == ("ÉCOLE DES MINES", "école des mines")
    assert Organisation.objects.annotate(up=Upper("name")).get(key="strasse").up == "STRAßE AG"
    # a lookup whose right-hand side is an expression folds it too
    assert _keys(name__icontains=F("name")) == ["ascii", "ecole", "greek", "strasse", "zurich"]
    assert _keys(name__iexact=Upper("name")) == ["ascii", "ecole", "greek", "strasse", "zurich"]


def test_folding_is_postgresqls_one_character_to_one():
    assert portability.upper_as_postgresql("straße ŉ ﬁ é") == "STRAßE ŉ ﬁ É"
    assert portability.lower_as_postgresql("İSTANBUL ÉCOLE") == "istanbul école"
    assert portability.upper_as_postgresql(None) is None and portability.upper_as_postgresql(3) == 3


# --- decimals: SQLite keeps 15 significant digits ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["123456789012.3456", "999999999999.9999", "99999999999.9999", "0.0001",
                                  "12345678901.2345", "-98765432109.8765"])
def test_a_decimal_comes_back_as_written_or_is_refused_on_either_database(text):
    """SQLite stores a decimal with a fraction as a float: 123456789012.3456 came back 123456789012.3460."""
    city = City.objects.create(key="c", name="C")
    vision = Vision.objects.create(city=city, title="V", statement="S", horizon_year=2030)
    objective = VisionObjective(city=city, vision=vision, key="o", title="O", purpose="environment",
                                indicator="I", target_value=Decimal(text), target_year=2030)
    try:
        objective.full_clean()
    except ValidationError as err:
        assert list(err.message_dict) == ["target_value"]
        assert "15 significant digits" in err.message_dict["target_value"][0]
        assert len(Decimal(text).normalize().as_tuple().digits) > 15
        return
    objective.save()
    assert VisionObjective.objects.get(pk=objective.pk).target_value == Decimal(text)


@pytest.mark.django_db
def test_a_pack_with_a_decimal_sqlite_would_round_is_refused_by_name_on_either_database(tmp_path):
    pack, line, problems = _refused_strategy_edit(tmp_path, "      target_value: 90\n", "      target_value: 123456789012.3456\n")
    assert any(p.startswith(f"strategy.yaml:{line}: ") and "target_value" in p and "15 significant digits" in p
               for p in problems), problems


@pytest.mark.parametrize("raw", [1234567890.1234567, 98765432109.87654, -12345678.123456789, 0.1 + 0.2, 42.0])
def test_a_computed_kpi_value_is_one_either_database_stores_as_it_is(raw):
    """A computed value of more than 15 significant digits would be refused (and, before, was rounded on
    SQLite only, so every run found it changed and wrote it again)."""
    value = quantise(raw)
    Measurement._meta.get_field("value").run_validators(value)
    assert abs(value - Decimal(repr(raw))) <= abs(Decimal(repr(raw))) * Decimal("1e-14") + Decimal("0.0000005")


# --- text PostgreSQL cannot hold: NUL ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_pack_with_a_nul_character_is_refused_by_name_on_either_database(tmp_path):
    """It was imported on SQLite and ended in a DataError traceback on PostgreSQL."""
    pack, line, problems = _refused_strategy_edit(tmp_path, "    title: Open by default\n", '    title: "Open by\\0 default"\n')
    assert any(p.startswith(f"strategy.yaml:{line}: principles[0].title: ") and "Null characters" in p
               for p in problems), problems


def test_text_fields_keep_their_own_validators():
    for field in (Organisation._meta.get_field("name"), Organisation._meta.get_field("key")):
        kinds = [type(v) for v in field.validators]
        assert MaxLengthValidator in kinds and kinds.count(ProhibitNullCharactersValidator) == 1, kinds
    with pytest.raises(ValidationError):
        Organisation._meta.get_field("name").run_validators("x" * 201)


@pytest.mark.django_db
def test_json_with_a_nul_character_is_refused_on_either_database():
    field = DevelopmentProject._meta.get_field("infrastructure_types")
    for value in (["road", "wa\x00ter"], {"k\x00": 1}, {"a": [{"b": "\x00"}]}):
        with pytest.raises(ValidationError):
            field.run_validators(value)
    field.run_validators(["road", "water", {"a": "b"}])
