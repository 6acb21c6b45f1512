"""The JSON Schema (draft 2020-12) of city packs, generated from the section specs.

The committed copy lives at ``docs/city-pack.schema.json``; a test fails when it
drifts from what this module generates. Regenerate it with::

    python -m cityline.core.packs.schema > docs/city-pack.schema.json

The document validates any one file of a pack (its top-level properties are the
union of every file's), so an editor can map ``*.yaml`` of a pack folder to it.
``$defs`` holds one exact schema per file (``pack.yaml``, ``core.yaml`` ...), which
the validator uses, and one per record type.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from . import spec

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _number(value: Any) -> int | float:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _enum_doc(f: spec.Field) -> str:
    return "; ".join(f"{value} = {label}" for value, label in f.choices or [])


def field_schema(f: spec.Field) -> dict[str, Any]:
    """The schema of one field value."""
    s: dict[str, Any] = {}
    nullable = not f.required
    if f.kind == "str":
        s["type"] = "string"
        if f.name == "key":
            s["pattern"] = spec.KEY_PATTERN
        if f.max_length:
            s["maxLength"] = f.max_length
    elif f.kind == "text":
        s["type"] = "string"
    elif f.kind == "int":
        s["type"] = "integer"
    elif f.kind == "decimal":
        s["type"] = "number"
    elif f.kind == "bool":
        s["type"] = "boolean"
    elif f.kind == "date":
        s.update(type="string", format="date", pattern=DATE_PATTERN)
    elif f.kind == "enum":
        s["enum"] = [*f.choice_values, *([None] if nullable else [])]
        nullable = False
    elif f.kind == "enum_list":
        s.update(type="array", items={"enum": f.choice_values}, uniqueItems=True)
        if f.required:
            s["minItems"] = 1
    elif f.kind == "str_list":
        s.update(type="array", items={"type": "string", "minLength": 1}, uniqueItems=True)
        if f.required:
            s["minItems"] = 1
    elif f.kind == "mapping":
        s.update(type="object", additionalProperties={"type": ["number", "string", "boolean"]},
                 propertyNames={"pattern": spec.KEY_PATTERN})
    elif f.kind == "json":
        s["type"] = "object"
    elif f.kind == "ref":
        s.update(type="string", pattern=spec.KEY_PATTERN)
    elif f.kind == "refs":
        s.update(type="array", items={"type": "string", "pattern": spec.KEY_PATTERN}, uniqueItems=True)
    if f.minimum is not None:
        s["minimum"] = _number(f.minimum)
    if f.maximum is not None:
        s["maximum"] = _number(f.maximum)
    if nullable and "type" in s:
        s["type"] = [s["type"], "null"]
    description = f.description or ""
    if f.kind in ("ref", "refs"):
        target = spec.collection_for_model(f.target)
        what = "key" if f.kind == "ref" else "list of keys"
        description = f"{description}: {what} of {target.path} in {target.section.file}"
    if f.kind in ("enum", "enum_list"):
        description = f"{description} ({_enum_doc(f)})"
    return {"description": description, **s}


def record_schema(c: spec.Collection) -> dict[str, Any]:
    props: dict[str, Any] = {f.name: field_schema(f) for f in c.fields}
    for child in c.children:
        props[child.name] = _collection_ref(child)
    s: dict[str, Any] = {
        "title": str(c.model._meta.verbose_name),
        "type": ["object", "null"] if c.single else "object",
        "additionalProperties": False,
    }
    required = [f.name for f in c.fields if f.required]
    if required:
        s["required"] = required
    s["properties"] = props
    if c.description:
        s["description"] = c.description
    return s


def _collection_ref(c: spec.Collection) -> dict[str, Any]:
    ref = {"$ref": f"#/$defs/{c.path}"}
    if c.single:
        return ref
    return {"description": f"{c.label} (a list)", "type": ["array", "null"], "items": ref}


def city_schema() -> dict[str, Any]:
    fields = spec.city_fields()
    return {
        "title": "city",
        "type": "object",
        "additionalProperties": False,
        "required": [f.name for f in fields if f.required],
        "properties": {f.name: field_schema(f) for f in fields},
    }


def file_schemas() -> dict[str, dict[str, Any]]:
    """One exact schema per pack file, keyed by file name."""
    out: dict[str, dict[str, Any]] = {
        spec.PACK_FILE: {
            "title": "pack.yaml: what the pack is and which city it describes",
            "type": "object",
            "additionalProperties": False,
            "required": ["format", "format_version", "city"],
            "properties": {
                "format": {"description": "always cityline-pack", "const": spec.FORMAT},
                "format_version": {"description": "version of the pack format", "const": spec.FORMAT_VERSION},
                "city": {"$ref": "#/$defs/city"},
            },
        }
    }
    for section in spec.sections():
        out[section.file] = {
            "title": f"{section.file}: {section.title}",
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {c.name: _collection_ref(c) for c in section.collections},
        }
        if section.description:
            out[section.file]["description"] = section.description
    return out


def generate() -> dict[str, Any]:
    """The whole schema document."""
    from django.utils import translation

    with translation.override("en"):
        files = file_schemas()
        defs: dict[str, Any] = dict(files)
        defs["city"] = city_schema()
        for c in spec.collections():
            defs[c.path] = record_schema(c)
        union: dict[str, Any] = {}
        for schema in files.values():
            union.update(schema["properties"])
    return {
        "$schema": SCHEMA_DIALECT,
        "$comment": "Generated by `python -m cityline.core.packs.schema`; do not edit by hand. See docs/city-packs.md.",
        "title": f"Cityline city pack, format version {spec.FORMAT_VERSION} (any file of the pack)",
        "description": "A city pack is a folder of YAML files (pack.yaml, core.yaml, strategy.yaml, ...) holding the "
        "operating model of one city. This schema accepts any of those files; $defs holds the exact schema of "
        "each file and of each kind of record.",
        "type": "object",
        "additionalProperties": False,
        "properties": union,
        "$defs": defs,
    }


def render() -> str:
    """The schema as committed: stable key order, two-space indent, trailing newline."""
    return json.dumps(generate(), indent=2, ensure_ascii=False) + "\n"


_validators: dict[str, Any] = {}


def validator_for(file: str):
    """A jsonschema validator for one pack file."""
    if file not in _validators:
        from jsonschema import Draft202012Validator

        root = generate()
        _validators[file] = Draft202012Validator({"$ref": f"#/$defs/{file}", "$defs": root["$defs"]})
    return _validators[file]


def main() -> None:
    import os
    import sys

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityline.settings")
    import django

    django.setup()
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
