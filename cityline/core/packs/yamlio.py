"""Reading YAML with line numbers, and writing it the same way every time.

The loader (a PyYAML ``SafeLoader`` subclass)

- keeps the line of every mapping key and list item, so any problem found later
  (schema, reference, model rule) can name ``file:line``;
- reports duplicate keys inside a mapping instead of silently keeping the last;
- leaves dates as text (``2025-02-30`` must be reported, not crash the parser);
- reads numbers with a fraction as :class:`~decimal.Decimal` (no float rounding);
- only takes ``true`` / ``false`` as booleans (``no`` stays the text "no", so a
  country code like NO is not turned into ``False``).

The dumper writes block style, keys in the order given, long lines unfolded,
multi-line text as ``|`` blocks, and decimals as plain numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml


@dataclass(frozen=True)
class YamlProblem:
    line: int | None
    message: str


class LineDict(dict):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines: dict[Any, int] = {}


class LineList(list):
    """A list that remembers the line of itself and of each item."""

    line: int = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.item_lines: list[int] = []


def _without(resolvers: dict, tags: set[str]) -> dict:
    return {first: [(tag, rx) for tag, rx in items if tag not in tags] for first, items in resolvers.items()}


# libyaml's parser (C) when PyYAML was built with it, else the pure-Python one; both keep marks.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PackLoader(_BaseLoader):
    yaml_implicit_resolvers = _without(
        _BaseLoader.yaml_implicit_resolvers, {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool"}
    )

    def __init__(self, stream):
        super().__init__(stream)
        self.problems: list[YamlProblem] = []


PackLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _construct_map(loader: PackLoader, node: yaml.MappingNode):
    data = LineDict()
    data.line = node.start_mark.line + 1
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            loader.problems.append(YamlProblem(line, "a mapping key must be plain text"))
            continue
        if key in data:
            loader.problems.append(
                YamlProblem(line, f"duplicate key {key!r} (first given on line {data.key_lines[key]})")
            )
            continue
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line


def _construct_seq(loader: PackLoader, node: yaml.SequenceNode):
    data = LineList()
    data.line = node.start_mark.line + 1
    yield data
    for item in node.value:
        data.append(loader.construct_object(item, deep=True))
        data.item_lines.append(item.start_mark.line + 1)


def _construct_decimal(loader: PackLoader, node: yaml.ScalarNode):
    text = loader.construct_scalar(node).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return loader.construct_yaml_float(node)
    if not value.is_finite():
        return loader.construct_yaml_float(node)
    return value


PackLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
PackLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
PackLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def load(text: str) -> tuple[Any, list[YamlProblem]]:
    """Parse one YAML document; return (data, problems).

    Malformed YAML gives ``(None, [problem with line])``. An empty file is ``None``.
    """
    loader = PackLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "not valid YAML"
        if exc.context and exc.problem:
            what = f"{exc.problem} ({exc.context})"
        return None, [YamlProblem(mark.line + 1 if mark else None, f"malformed YAML: {what}")]
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML marks nearly everything
        return None, [YamlProblem(None, f"malformed YAML: {exc}")]
    finally:
        loader.dispose()
    return data, loader.problems


def line_of(root: Any, path: list[Any] | tuple[Any, ...]) -> int | None:
    """The line of the value at ``path`` (keys and list indexes) inside ``root``."""
    node = root
    line = getattr(root, "line", None)
    for step in path:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


def format_path(path: list[Any] | tuple[Any, ...]) -> str:
    """``["people", 3, "organisation"]`` → ``people[3].organisation``."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else str(step)
    return out


# --- writing ---------------------------------------------------------------------------


class PackDumper(yaml.SafeDumper):
    # Dates are written as text; without the timestamp resolver they stay unquoted.
    yaml_implicit_resolvers = _without(yaml.SafeDumper.yaml_implicit_resolvers, {"tag:yaml.org,2002:timestamp"})

    def increase_indent(self, flow=False, indentless=False):
        # Indent list items under their key ("key:\n  - item"), as people write them.
        return super().increase_indent(flow, False)


class FlowDict(dict):
    """A small mapping written on one line: ``{person: ana, role: chair}``."""


class FlowList(list):
    """A short list written on one line: ``[a, b, c]``."""


def _represent_flow_dict(dumper: PackDumper, value: FlowDict):
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=True)


def _represent_flow_list(dumper: PackDumper, value: FlowList):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


FLOW_WIDTH = 100


def compact(value: Any) -> Any:
    """Mark ``value`` for one-line output when it is small and flat enough to read that way."""
    def scalar(v: Any) -> bool:
        return isinstance(v, (int, Decimal, bool)) or (isinstance(v, str) and "\n" not in v)

    if isinstance(value, list) and all(scalar(v) for v in value):
        if sum(len(str(v)) + 2 for v in value) <= FLOW_WIDTH:
            return FlowList(value)
    if isinstance(value, dict) and all(scalar(v) for v in value.values()):
        if sum(len(str(k)) + len(str(v)) + 4 for k, v in value.items()) <= FLOW_WIDTH:
            return FlowDict(value)
    return value


def to_json(value: Any) -> Any:
    """Data read from a pack file as plain JSON data: mappings and lists unwrapped, fractions as floats.

    The loader reads only fractions (``0.95``, ``1.0``) as :class:`~decimal.Decimal`; whole numbers are
    ``int`` already. A fraction stays a float so that it is written back as it was read.
    """
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    return value


def _json_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (int, float, Decimal, bool)) or (isinstance(v, str) and "\n" not in v)


def canonical(value: Any) -> Any:
    """JSON data (a ``json`` field) as written in a pack: keys sorted at every level, small parts on one line.

    Sorting keeps the file the same whatever order the database returns (PostgreSQL's ``jsonb`` reorders keys).
    """
    if isinstance(value, dict):
        value = {k: canonical(value[k]) for k in sorted(value)}
        items, width = list(value.values()), sum(len(str(k)) + len(str(v)) + 4 for k, v in value.items())
    elif isinstance(value, list):
        value = [canonical(v) for v in value]
        items, width = value, sum(len(str(v)) + 2 for v in value)
    else:
        return value
    if items and width <= FLOW_WIDTH and all(_json_scalar(v) for v in items):
        return FlowDict(value) if isinstance(value, dict) else FlowList(value)
    return value


def _represent_str(dumper: PackDumper, value: str):
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _represent_decimal(dumper: PackDumper, value: Decimal):
    text = format(value.normalize(), "f") if value != 0 else "0"
    if "." in text:
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)
    return dumper.represent_scalar("tag:yaml.org,2002:int", text)


PackDumper.add_representer(str, _represent_str)
PackDumper.add_representer(Decimal, _represent_decimal)
PackDumper.add_representer(FlowDict, _represent_flow_dict)
PackDumper.add_representer(FlowList, _represent_flow_list)
PackDumper.add_representer(LineDict, yaml.SafeDumper.represent_dict)
PackDumper.add_representer(LineList, yaml.SafeDumper.represent_list)


def dump(data: Any) -> str:
    """Serialise plain data (dicts, lists, str, int, Decimal, bool) deterministically."""
    return yaml.dump(
        data, Dumper=PackDumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
        width=float("inf"), indent=2,
    )
