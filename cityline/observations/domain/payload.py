"""How an MQTT message becomes a reading: topic patterns and payload fields (issue 6, streaming ingestion).

A **mapping** says, for the topics matching its pattern, which series a message is a reading of and
where its value, time, quality flag and message id are. Plain Python (no Django): the consumer
(:mod:`cityline.observations.mqtt`), the simulator and tests share it.

Topic patterns use the MQTT wildcards with named levels::

    kestermouth/{group}/{series}/reading     {name}: one level, remembered as ``name``
    kestermouth/+/{series}/reading           +: one level, not remembered
    sensors/{station}/#                      #: any number of levels (last level only)

The broker subscription is the pattern with every ``{name}`` turned into ``+``.

A mapping in a configuration file (YAML or JSON; ``cityline ingest mqtt --mapping FILE``)::

    mappings:                                 # tried in order; the first whose topic matches wins
      - topic: "kestermouth/+/{series}/reading"
        series: "{series}"                    # template over the named levels (default "{series}")
        # series_field: sensor                # or: the series key is this JSON field
        format: json                          # json (default) or number (the payload is just the value)
        value: value                          # JSON field of the value (default "value"); a.b for nested
        time: time                            # JSON field of the time (default "time"); null: receive time
        time_format: auto                     # auto, iso, epoch_s or epoch_ms (default auto)
        quality: quality                      # optional JSON field of the quality flag (default "quality")
        message_id: id                        # optional JSON field of the message id (default "id")

With ``time_format: auto`` a string is ISO 8601 and must carry a zone (``Z`` or ``+01:00``); a
number is epoch seconds, or milliseconds when it is above 10^11 (after 5138 in seconds). An epoch
time must fall from 1980-01-01 to the end of 2200, in seconds or milliseconds (:data:`EPOCH_RULE`;
files are held to the same rule): anything else is a unit or format mistake, refused: 20261120 for
a date, or a compact date-time such as 202611200800 (2026-11-20 08:00), which as milliseconds is
1976-06-03 (the reason then says what the number looks like, :func:`compact_time_hint`).
A ``number`` payload (e.g. ``21.5``) takes the receive time: such readings have no natural key of
their own, so a redelivery after a crash stores a second reading (see docs/observations.md, "MQTT").

Every problem raises :class:`PayloadError` with a reason meant for the quarantine list
("payload is not JSON", "field 'value' missing", "time has no zone", ...).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

FORMATS = ("json", "number")
TIME_FORMATS = ("auto", "iso", "epoch_s", "epoch_ms")
_NAME = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SERIES_KEY = re.compile(r"[-a-zA-Z0-9_]+")
#: An epoch number above this is milliseconds (as seconds it would be after the year 5138).
EPOCH_MS_ABOVE = 1e11
#: The epoch times accepted, in seconds (files and MQTT alike, seconds and milliseconds): from 1980 to before 2201.
#: From 1980, so that a compact date-time (202611200800: 2026-11-20 08:00), as milliseconds 1976 or 1977, is refused.
EPOCH_EARLIEST = 315_532_800  # 1980-01-01T00:00:00Z
EPOCH_BEFORE = 7_289_654_400  # 2201-01-01T00:00:00Z
EPOCH_RULE = "give epoch seconds, or milliseconds (numbers over 10^11), from 1980-01-01 to the end of 2200"
_COMPACT = re.compile(r"(\d{12}|\d{14})(\.0*)?")
_KEYS = {"topic", "series", "series_field", "format", "value", "time", "time_format", "quality", "message_id"}


class PayloadError(ValueError):
    """A message that cannot become a reading; ``str()`` is the reason kept with the quarantined message."""


class MappingError(ValueError):
    """A mapping configuration that cannot be used, naming the mapping and the field."""


@dataclass(frozen=True)
class Reading:
    series: str
    time: datetime
    value: float
    quality: str | None = None
    message_id: str | None = None

    def as_row(self) -> dict:
        return {"series": self.series, "time": self.time, "value": self.value,
                "quality": self.quality, "message_id": self.message_id}


@dataclass
class Mapping:
    """One topic pattern and where a message on it keeps its reading (see the module docstring)."""

    topic: str
    series: str = "{series}"
    series_field: str | None = None
    format: str = "json"
    value: str = "value"
    time: str | None = "time"
    time_format: str = "auto"
    quality: str | None = "quality"
    message_id: str | None = "id"
    _levels: list = field(init=False, repr=False)

    def __post_init__(self):
        if not isinstance(self.topic, str) or not self.topic:
            raise MappingError("'topic' must be a topic pattern, e.g. city/+/{series}/reading")
        levels = self.topic.split("/")
        names = []
        for i, level in enumerate(levels):
            if level == "#":
                if i != len(levels) - 1:
                    raise MappingError(f"topic {self.topic!r}: '#' must be the last level")
            elif level == "+":
                pass
            elif _NAME.fullmatch(level):
                names.append(level[1:-1])
            elif "+" in level or "#" in level or "{" in level or "}" in level:
                raise MappingError(f"topic {self.topic!r}: level {level!r} mixes a wildcard with text "
                                   "(a level is text, +, # or {name})")
        if len(set(names)) != len(names):
            raise MappingError(f"topic {self.topic!r}: a level name is used twice")
        self._levels = levels
        if self.format not in FORMATS:
            raise MappingError(f"format {self.format!r}: one of {', '.join(FORMATS)}")
        if self.time_format not in TIME_FORMATS:
            raise MappingError(f"time_format {self.time_format!r}: one of {', '.join(TIME_FORMATS)}")
        if self.series_field is None:
            missing = [n for n in _NAME.findall(self.series) if n not in names]
            if missing:
                raise MappingError(f"series {self.series!r} names {{{missing[0]}}}, which is not a level of "
                                   f"topic {self.topic!r}")
        if self.format == "number" and self.series_field:
            raise MappingError("format 'number' has no JSON fields: name the series from the topic")
        if not self.value and self.format == "json":
            raise MappingError("'value' must name the JSON field of the value")

    @property
    def subscription(self) -> str:
        """The topic filter to subscribe to (``{name}`` levels become ``+``)."""
        return "/".join("+" if _NAME.fullmatch(level) else level for level in self._levels)

    def match(self, topic: str) -> dict[str, str] | None:
        """The named levels of ``topic`` if it matches the pattern, else None."""
        parts = topic.split("/")
        found = {}
        for i, level in enumerate(self._levels):
            if level == "#":
                return found
            if i >= len(parts):
                return None
            if level == "+":
                continue
            if _NAME.fullmatch(level):
                if not parts[i]:
                    return None
                found[level[1:-1]] = parts[i]
            elif level != parts[i]:
                return None
        return found if len(parts) == len(self._levels) else None

    # --- reading a message ----------------------------------------------------------------------

    def read(self, topic: str, payload: bytes, received: datetime, levels: dict[str, str] | None = None) -> Reading:
        """The reading in a message on ``topic`` received at ``received`` (UTC), or :class:`PayloadError`.

        Whatever else goes wrong reading one message (a number or time out of range, JSON nested too
        deeply) is a :class:`PayloadError` too: a message never raises anything else.
        """
        try:
            return self._read(topic, payload, received, levels)
        except PayloadError:
            raise
        except (ArithmeticError, RecursionError, ValueError, TypeError) as exc:
            raise PayloadError(_clip(f"payload cannot be read ({type(exc).__name__}: {exc})")) from None

    def _read(self, topic: str, payload: bytes, received: datetime, levels: dict[str, str] | None) -> Reading:
        levels = self.match(topic) if levels is None else levels
        if levels is None:
            raise PayloadError(f"topic {topic!r} does not match {self.topic!r}")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise PayloadError("payload is not UTF-8 text") from None
        if self.format == "number":
            return Reading(self._series_from_topic(levels), received, _number(text.strip(), "payload"))
        try:
            data = json.loads(text)
        except RecursionError:
            raise PayloadError("payload is JSON nested too deeply") from None
        except ValueError:
            raise PayloadError("payload is not JSON") from None
        if not isinstance(data, dict):
            if isinstance(data, (int, float)) and not isinstance(data, bool) and self.time is None:
                return Reading(self._series_from_topic(levels), received, _number(data, "payload"))
            if isinstance(data, (int, float)) and not isinstance(data, bool):
                raise PayloadError("payload is a plain number; this topic's mapping expects a JSON object "
                                   "(format: number takes plain numbers)")
            raise PayloadError("payload is not a JSON object")
        if self.series_field:
            series = _field(data, self.series_field)
            if not isinstance(series, str):
                raise PayloadError(f"field {self.series_field!r} is not a text series key")
            series = _check_key(series)
        else:
            series = self._series_from_topic(levels)
        value = _number(_field(data, self.value), f"field {self.value!r}")
        if self.time is None:
            when = received
        else:
            when = parse_time(_field(data, self.time), self.time_format, self.time)
        quality = _optional_text(data, self.quality)
        message_id = _optional_text(data, self.message_id)
        return Reading(series, when, value, quality, message_id)

    def _series_from_topic(self, levels: dict[str, str]) -> str:
        return _check_key(_NAME.sub(lambda m: levels[m.group(1)], self.series))


def _check_key(series: str) -> str:
    if not _SERIES_KEY.fullmatch(series):
        raise PayloadError(f"series {series!r} is not a series key (letters, digits, - and _)")
    return series


def _clip(text: str, most: int = 200) -> str:
    return text if len(text) <= most else text[:most - 3] + "..."


def _field(data: dict, path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise PayloadError(f"field {path!r} missing")
        node = node[part]
    return node


def _optional_text(data: dict, path: str | None) -> str | None:
    if not path:
        return None
    try:
        value = _field(data, path)
    except PayloadError:
        return None
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise PayloadError(f"field {path!r} must be text or a number")
    text = str(value)
    if len(text) > 200:
        raise PayloadError(f"field {path!r} is longer than 200 characters")
    return text


def _number(raw: Any, what: str) -> float:
    if isinstance(raw, bool) or raw is None:
        raise PayloadError(f"{what} is not a number")
    if isinstance(raw, str):
        try:
            raw = float(raw)
        except ValueError:
            raise PayloadError(f"{what} is not a number") from None
    if not isinstance(raw, (int, float)):
        raise PayloadError(f"{what} is not a number")
    try:
        value = float(raw)
    except OverflowError:
        raise PayloadError(f"{what} is not a finite number (too large)") from None
    if not math.isfinite(value):
        raise PayloadError(f"{what} is not a finite number")
    return value


def parse_time(raw: Any, time_format: str = "auto", name: str = "time") -> datetime:
    """A UTC datetime from ISO 8601 text with a zone, or epoch seconds / milliseconds."""
    if raw is None:
        raise PayloadError(f"field {name!r} is empty")
    if isinstance(raw, bool):
        raise PayloadError(f"field {name!r} is not a time")
    if isinstance(raw, str) and time_format in ("auto", "iso"):
        text = raw.strip()
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            hint = compact_time_hint(text)
            raise PayloadError(f"{name} {_clip(repr(raw), 60)} is not an ISO 8601 time"
                               + (f"; {hint}" if hint else "")) from None
        if when.tzinfo is None:
            raise PayloadError(f"{name} has no zone (add Z or an offset such as +01:00)")
        try:
            return when.astimezone(timezone.utc)
        except (OverflowError, ValueError):  # 0001-01-01T00:30+01:00 is before year 1 in UTC
            raise PayloadError(f"{name} {_clip(repr(raw), 60)} is out of range") from None
    if isinstance(raw, (int, float)) and time_format in ("auto", "epoch_s", "epoch_ms"):
        return datetime.fromtimestamp(epoch_seconds(raw, time_format, name), timezone.utc)
    expected = {"iso": "ISO 8601 text", "epoch_s": "epoch seconds", "epoch_ms": "epoch milliseconds",
                "auto": "ISO 8601 text or epoch seconds"}[time_format]
    raise PayloadError(f"field {name!r} is not {expected}")


def epoch_seconds(raw: int | float, time_format: str = "auto", name: str = "time") -> float:
    """Seconds since 1970 of an epoch number (milliseconds above 10^11 with ``auto``), held to :data:`EPOCH_RULE`."""
    try:
        number = float(raw)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise PayloadError(f"{name} {_clip(repr(raw), 40)} is out of range: {EPOCH_RULE}")
    seconds = number / 1000 if time_format == "epoch_ms" or (time_format == "auto" and number > EPOCH_MS_ABOVE) \
        else number
    if not EPOCH_EARLIEST <= seconds < EPOCH_BEFORE:
        hint = compact_time_hint(raw)
        raise PayloadError(f"{name} {_clip(repr(raw), 40)} is out of range: {EPOCH_RULE}"
                           + (f"; {hint}" if hint else ""))
    return seconds


def compact_time_hint(raw: Any) -> str | None:
    """What a refused time looks like when it is a compact date-time, 12 or 14 digits YYYYMMDDhhmm[ss] (a number,
    or its text), e.g. "202611200800 looks like a compact date-time (2026-11-20T08:00); ..."; else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, float):
        if not raw.is_integer() or abs(raw) >= 1e15:
            return None
        text = str(int(raw))
    elif isinstance(raw, int):
        text = str(raw) if 0 < raw < 10 ** 15 else ""
    elif isinstance(raw, str):
        text = raw.strip()
    else:
        return None
    found = _COMPACT.fullmatch(text)
    if not found:
        return None
    digits = found[1]
    try:
        when = datetime(int(digits[:4]), int(digits[4:6]), int(digits[6:8]), int(digits[8:10]), int(digits[10:12]),
                        int(digits[12:] or 0))
    except ValueError:  # not a date and time of day, e.g. month 13 or minute 75
        return None
    shown = when.isoformat(timespec="seconds" if len(digits) == 14 else "minutes")
    return f"{text} looks like a compact date-time ({shown}); write times as ISO 8601 with a zone"


class Mappings:
    """Several mappings, tried in order; ``read`` finds the first whose pattern matches the topic."""

    def __init__(self, mappings: list[Mapping]):
        if not mappings:
            raise MappingError("no mapping: give at least one topic")
        self.mappings = list(mappings)

    @property
    def subscriptions(self) -> list[str]:
        return list(dict.fromkeys(m.subscription for m in self.mappings))

    def read(self, topic: str, payload: bytes, received: datetime) -> Reading:
        for mapping in self.mappings:
            levels = mapping.match(topic)
            if levels is not None:
                return mapping.read(topic, payload, received, levels)
        raise PayloadError(f"no mapping for topic {topic!r}")


def default_topic(city_key: str) -> str:
    """The topic layout the simulator publishes and the consumer maps by default: ``<city>/<group>/<series>/reading``."""
    return f"{city_key}/+/{{series}}/reading"


def topic_for(city_key: str, group: str, series: str) -> str:
    return f"{city_key}/{group}/{series}/reading"


def from_config(data: Any, *, where: str = "mapping") -> Mappings:
    """:class:`Mappings` from parsed YAML/JSON (``{"mappings": [...]}``, a list, or one mapping)."""
    if isinstance(data, dict) and "mappings" in data:
        data = data["mappings"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise MappingError(f"{where}: expected 'mappings:' with a list of mappings")
    mappings = []
    for i, item in enumerate(data):
        label = f"{where}, mapping {i + 1}"
        if not isinstance(item, dict):
            raise MappingError(f"{label}: expected keys such as topic, series, value, time")
        unknown = sorted(set(item) - _KEYS)
        if unknown:
            raise MappingError(f"{label}: unknown key {unknown[0]!r} (keys: {', '.join(sorted(_KEYS))})")
        if "topic" not in item:
            raise MappingError(f"{label}: 'topic' is missing")
        for key, value in item.items():
            if value is not None and not isinstance(value, str):
                raise MappingError(f"{label}: {key!r} must be text")
        if item.get("value", "value") is None or item.get("series", "{series}") is None:
            raise MappingError(f"{label}: 'value' and 'series' cannot be empty")
        try:
            mappings.append(Mapping(**item))
        except MappingError as exc:
            raise MappingError(f"{label}: {exc}") from None
    return Mappings(mappings)


def load(text: str, *, where: str = "mapping") -> Mappings:
    """:class:`Mappings` from the text of a YAML or JSON file (JSON is YAML)."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise MappingError(f"{where}: not YAML or JSON: {exc}") from None
    return from_config(data, where=where)
