"""The pack format's building blocks: the generated JSON Schema, the YAML reader and writer, the specs."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from cityline.core.packs import schema, spec, yamlio

from .packs_helpers import SMALL

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "city-pack.schema.json"


def test_committed_schema_matches_the_specs():
    assert COMMITTED.read_text(encoding="utf-8") == schema.render(), (
        "docs/city-pack.schema.json is out of date: "
        "run `python -m cityline.core.packs.schema > docs/city-pack.schema.json`"
    )


def test_schema_is_valid_draft_2020_12_and_accepts_every_file_of_a_pack():
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    editor = Draft202012Validator(document)  # what an editor uses for any *.yaml of a pack
    for path in sorted(SMALL.glob("*.yaml")):
        data, problems = yamlio.load(path.read_text())
        assert not problems
        assert not list(editor.iter_errors(data)), path.name
        assert not list(schema.validator_for(path.name).iter_errors(data)), path.name


def test_schema_knows_choices_references_and_limits():
    defs = schema.generate()["$defs"]
    party = defs["interested_parties"]
    assert party["additionalProperties"] is False
    assert {"key", "name", "categories", "sector", "influence", "interest"} == set(party["required"])
    assert party["properties"]["categories"]["items"]["enum"][:2] == ["promoter", "negative_promoter"]
    assert "key of organisations in core.yaml" in party["properties"]["organisation"]["description"]
    weight = defs["vision.purposes"]["properties"]["weight"]
    assert (weight["minimum"], weight["maximum"]) == (0, 1)
    assert defs["skills"]["properties"]["level"]["enum"] == [1, 2, 3, 4]
    assert defs["pack.yaml"]["properties"]["format_version"] == {
        "description": "version of the pack format", "const": 1}


def test_loader_keeps_lines_dates_as_text_and_decimals_exact():
    data, problems = yamlio.load("a: 2025-02-30\nb: 0.1\nc: NO\nd: true\ne:\n  - x: 1\n  - x: 2\n")
    assert not problems
    assert data == {"a": "2025-02-30", "b": Decimal("0.1"), "c": "NO", "d": True, "e": [{"x": 1}, {"x": 2}]}
    assert data.key_lines == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}
    assert yamlio.line_of(data, ["e", 1, "x"]) == 7


def test_loader_reports_duplicate_keys_and_malformed_yaml():
    _, problems = yamlio.load("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert problems == [yamlio.YamlProblem(4, "duplicate key 'c' (first given on line 3)")]
    data, problems = yamlio.load("a: 1\n b: 2\n")
    assert data is None and problems[0].line == 2 and problems[0].message.startswith("malformed YAML")


def test_dumper_is_readable_and_stable():
    text = yamlio.dump({
        "title": "x", "text": "two\nlines\n", "value": Decimal("1500000.00"), "weight": Decimal("0.250"),
        "date": "2024-01-02", "country": "NO", "list": yamlio.FlowList(["a", "b"]),
        "long": "word " * 100,
    })
    assert text.splitlines()[:8] == [
        "title: x", "text: |", "  two", "  lines", "value: 1500000", "weight: 0.25", "date: 2024-01-02",
        "country: 'NO'",
    ]
    assert "list: [a, b]\n" in text
    assert len([line for line in text.splitlines() if line.startswith("long:")]) == 1  # not folded
    assert yamlio.load(text)[0]["value"] == 1500000


def test_every_model_reference_points_into_the_pack_and_import_order_respects_it():
    order = [c.path for c in spec.import_order()]
    for c in spec.collections():
        for f in c.fields:
            if f.kind in ("ref", "refs") and f.target is not c.model:
                assert order.index(spec.collection_for_model(f.target).path) < order.index(c.path)
        if c.parent_collection is not None:
            assert order.index(c.parent_collection.path) < order.index(c.path)


def test_a_model_cannot_belong_to_two_collections():
    from cityline.core.models import Person

    with pytest.raises(ValueError, match="already belongs"):
        spec.register(spec.Section("extra.yaml", "test", [spec.Collection("staff", Person, ["name"], key=True)]))
    assert "extra.yaml" not in {s.file for s in spec.sections()}
