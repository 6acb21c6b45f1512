"""Exporting a city's operating model as a pack folder, byte for byte the same every time.

Determinism rules: records sorted by key (keyless records by their identity, with
choices in their declared order, e.g. roadmap phases plan → transform); fields in
spec order; empty optional values omitted (no key, empty text, empty list);
lists of references sorted by key; decimals written as plain numbers without
trailing zeros; multi-line text as ``|`` blocks; no line folding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cityline.core.models import City

from . import spec, yamlio


def _header(title: str) -> str:
    return f"# {title}\n# Cityline city pack, format version {spec.FORMAT_VERSION}: see docs/city-packs.md\n"


class _Export:
    def __init__(self, city: City):
        self.city = city
        self.key_of: dict[type, dict[int, str]] = {}
        self.rows: dict[str, list[Any]] = {}
        for c in spec.collections():
            qs = c.model._default_manager.filter(city=city).exclude(**c.exclude).order_by("pk")
            m2m = [f.name for f in c.fields if f.kind == "refs"]
            if m2m:
                qs = qs.prefetch_related(*m2m)
            self.rows[c.path] = list(qs)
            if c.key:
                self.key_of[c.model] = {obj.pk: obj.key for obj in self.rows[c.path]}

    def value(self, f: spec.Field, obj) -> Any:
        if f.kind == "ref":
            pk = getattr(obj, f.model_field.attname)
            return None if pk is None else self.key_of[f.target][pk]
        if f.kind == "refs":  # a link to a record Cityline writes itself (a collection's exclude) stays out
            keys = self.key_of[f.target]
            return sorted(keys[o.pk] for o in getattr(obj, f.name).all() if o.pk in keys)
        value = getattr(obj, f.name)
        if f.kind == "date" and value is not None:
            return value.isoformat()
        if f.kind in ("enum_list", "str_list"):
            return list(value or [])
        if f.kind == "mapping":
            return {k: value[k] for k in sorted(value or {})}
        if f.kind == "json":
            return yamlio.canonical(value) if value else None
        return value

    def record(self, c: spec.Collection, obj) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in c.fields:
            value = self.value(f, obj)
            if value is None or value == "" or value == [] or value == {}:
                continue
            out[f.name] = yamlio.compact(value) if isinstance(value, list) else value
        for child in c.children:
            rendered = self.collection(child, parent=obj)
            if rendered is not None:
                out[child.name] = rendered
        return out

    def sort_key(self, c: spec.Collection, obj) -> tuple:
        if c.key:
            return (obj.key,)
        parts: list[Any] = []
        for name in c.identity:
            f = c.field(name)
            value = self.value(f, obj)
            if f.kind == "enum":
                parts.append((f.choice_values.index(value) if value in f.choice_values else len(f.choice_values), ""))
            else:
                parts.append((0, str(value)))
        return tuple(parts)

    def collection(self, c: spec.Collection, parent=None) -> Any:
        objs = self.rows[c.path]
        if parent is not None:
            attname = c.model._meta.get_field(c.parent).attname
            objs = [o for o in objs if getattr(o, attname) == parent.pk]
        if c.single:
            return self.record(c, objs[0]) if objs else None
        if not objs:
            return None
        records = [self.record(c, o) for o in sorted(objs, key=lambda o: self.sort_key(c, o))]
        if parent is not None:  # nested records (members, agreements, weights) are often one-liners
            records = [yamlio.compact(r) for r in records]
        return records

    def city_mapping(self) -> dict[str, Any]:
        out = {}
        for f in spec.city_fields():
            value = getattr(self.city, f.name)
            if value is None or value == "":
                continue
            out[f.name] = value
        return out


def render_pack(city: City) -> dict[str, str]:
    """The pack's files as ``{file name: text}``."""
    ex = _Export(city)
    files = {
        spec.PACK_FILE: _header(f"{spec.PACK_FILE}: the city this pack describes") + yamlio.dump(
            {"format": spec.FORMAT, "format_version": spec.FORMAT_VERSION, "city": ex.city_mapping()}
        )
    }
    for section in spec.sections():
        data = {}
        for c in section.collections:
            rendered = ex.collection(c)
            if rendered is not None:
                data[c.name] = rendered
        text = _header(f"{section.file}: {section.title}")
        if data:
            text += yamlio.dump(data)
        files[section.file] = text
    return files


def export_pack(city: City | str, directory: Path | str) -> list[Path]:
    """Write ``city`` (a City or its key) as a pack into ``directory``; return the files written.

    Every file of the format is written (an area without records gets a file with
    only its header comment), so re-exporting over an older copy leaves nothing stale.
    """
    if isinstance(city, str):
        city = City.objects.get(key=city)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_pack(city).items():
        path = directory / name
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    for section in spec.sections():
        if section.after_export is not None:
            written.extend(section.after_export(city, directory))
    return written
