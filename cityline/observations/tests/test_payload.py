"""MQTT topic patterns and payload fields (issue 6): what a message becomes, and the reason when it cannot."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from cityline.observations.domain.payload import (
    EPOCH_RULE,
    Mapping,
    MappingError,
    Mappings,
    PayloadError,
    default_topic,
    from_config,
    load,
    parse_time,
    topic_for,
)

RECEIVED = datetime(2026, 11, 27, 8, 30, 0, 123000, tzinfo=timezone.utc)


def read(mapping, topic, payload):
    return (mapping if isinstance(mapping, Mappings) else Mappings([mapping])).read(topic, payload, RECEIVED)


def test_the_default_layout_names_the_series_by_its_topic_level_and_reads_time_value_quality_and_id():
    mapping = Mapping(topic=default_topic("kestermouth"))
    assert mapping.subscription == "kestermouth/+/+/reading"
    topic = topic_for("kestermouth", "air", "pm25-harbour")
    reading = read(mapping, topic, b'{"time": "2026-11-27T09:15:00+01:00", "value": 17.5, "quality": "ok", "id": 42}')
    assert reading.series == "pm25-harbour"
    assert reading.time == datetime(2026, 11, 27, 8, 15, tzinfo=timezone.utc)
    assert (reading.value, reading.quality, reading.message_id) == (17.5, "ok", "42")
    # quality and id are optional
    plain = read(mapping, topic, b'{"time": "2026-11-27T08:15:00Z", "value": 3}')
    assert (plain.value, plain.quality, plain.message_id) == (3.0, None, None)


@pytest.mark.parametrize("raw, expected", [
    ("2026-11-27T08:15:00Z", datetime(2026, 11, 27, 8, 15, tzinfo=timezone.utc)),
    ("2026-11-27T10:15:00.250+02:00", datetime(2026, 11, 27, 8, 15, 0, 250000, tzinfo=timezone.utc)),
    (1795767300, datetime(2026, 11, 27, 8, 15, tzinfo=timezone.utc)),
    (1795767300.5, datetime(2026, 11, 27, 8, 15, 0, 500000, tzinfo=timezone.utc)),
    (1795767300250, datetime(2026, 11, 27, 8, 15, 0, 250000, tzinfo=timezone.utc)),
])
def test_times_are_iso_8601_with_a_zone_or_epoch_seconds_or_milliseconds(raw, expected):
    assert parse_time(raw) == expected


def test_a_declared_time_format_is_held_to():
    assert parse_time(1795767300250, "epoch_ms") == datetime(2026, 11, 27, 8, 15, 0, 250000, tzinfo=timezone.utc)
    with pytest.raises(PayloadError, match="out of range"):  # 1 s after 1970: not a plausible reading time
        parse_time(1000, "epoch_ms")
    with pytest.raises(PayloadError, match="not ISO 8601 text"):
        parse_time(1795767300, "iso")
    with pytest.raises(PayloadError, match="not epoch seconds"):
        parse_time("2026-11-27T08:15:00Z", "epoch_s")


@pytest.mark.parametrize("payload, reason", [
    (b"temperature=4", "payload is not JSON"),
    (b"\xff\xfe\x00", "payload is not UTF-8 text"),
    (b"[1, 2]", "payload is not a JSON object"),
    (b"21.5", "payload is a plain number"),
    (b'{"time": "2026-11-27T08:15:00Z"}', "field 'value' missing"),
    (b'{"value": 4}', "field 'time' missing"),
    (b'{"time": "2026-11-27T08:15:00", "value": 4}', "time has no zone"),
    (b'{"time": "yesterday", "value": 4}', "time 'yesterday' is not an ISO 8601 time"),
    (b'{"time": null, "value": 4}', "field 'time' is empty"),
    (b'{"time": 1e30, "value": 4}', "time 1e+30 is out of range"),
    (b'{"time": "2026-11-27T08:15:00Z", "value": "high"}', "field 'value' is not a number"),
    (b'{"time": "2026-11-27T08:15:00Z", "value": true}', "field 'value' is not a number"),
    (b'{"time": "2026-11-27T08:15:00Z", "value": null}', "field 'value' is not a number"),
    (b'{"time": "2026-11-27T08:15:00Z", "value": NaN}', "field 'value' is not a finite number"),
    (b'{"time": "2026-11-27T08:15:00Z", "value": 1, "quality": {"a": 1}}', "field 'quality' must be text"),
])
def test_a_message_that_cannot_be_a_reading_names_the_reason(payload, reason):
    mapping = Mapping(topic="city/+/{series}/reading")
    with pytest.raises(PayloadError) as caught:
        read(mapping, "city/air/pm25/reading", payload)
    assert str(caught.value).startswith(reason)


def test_a_value_given_as_numeric_text_is_read():
    reading = read(Mapping(topic="c/{series}"), "c/s1", b'{"time": "2026-11-27T08:15:00Z", "value": "4.25"}')
    assert reading.value == 4.25


def test_a_series_level_that_is_not_a_series_key_is_refused():
    with pytest.raises(PayloadError, match="is not a series key"):
        read(Mapping(topic="c/{series}"), "c/pm 2.5", b'{"time": "2026-11-27T08:15:00Z", "value": 1}')


def test_plain_number_payloads_take_the_receive_time():
    mapping = Mapping(topic="meters/{district}/{meter}", series="water-{district}-{meter}", format="number")
    reading = read(mapping, "meters/old-town/m7", b" 12.75\n")
    assert (reading.series, reading.time, reading.value) == ("water-old-town-m7", RECEIVED, 12.75)
    with pytest.raises(PayloadError, match="payload is not a number"):
        read(mapping, "meters/old-town/m7", b"12,75")
    # a JSON mapping without a time field also takes the receive time, and then accepts a bare number
    untimed = Mapping(topic="t/{series}", time=None)
    assert read(untimed, "t/s1", b"7").time == RECEIVED
    assert read(untimed, "t/s1", b'{"value": 8}').value == 8.0


def test_the_series_can_come_from_a_json_field_and_fields_can_be_nested():
    mapping = Mapping(topic="gateway/#", series_field="sensor", value="data.pm25", time="data.ts",
                      message_id="msg", quality=None)
    assert mapping.subscription == "gateway/#"
    reading = read(mapping, "gateway/north/7",
                   b'{"sensor": "pm25-north", "msg": "a-1", "quality": "x", "data": {"pm25": 8, "ts": 1795767300}}')
    assert (reading.series, reading.value, reading.message_id, reading.quality) == ("pm25-north", 8.0, "a-1", None)
    with pytest.raises(PayloadError, match="field 'data.pm25' missing"):
        read(mapping, "gateway/x", b'{"sensor": "s", "data": {"ts": 1}}')
    with pytest.raises(PayloadError, match="field 'sensor' is not a text series key"):
        read(mapping, "gateway/x", b'{"sensor": 5, "data": {"pm25": 1, "ts": 1}}')


def test_topics_match_level_by_level_and_the_first_matching_mapping_wins():
    numbers = Mapping(topic="city/legacy/{series}", format="number")
    everything = Mapping(topic="city/+/{series}")
    both = Mappings([numbers, everything])
    assert both.subscriptions == ["city/legacy/+", "city/+/+"]
    assert both.read("city/legacy/s1", b"5", RECEIVED).value == 5.0
    assert both.read("city/air/s1", b'{"time": 1795767300, "value": 6}', RECEIVED).value == 6.0
    for topic in ("city/air", "city/air/s1/extra", "town/air/s1", "city/air/"):
        with pytest.raises(PayloadError, match="no mapping for topic"):
            both.read(topic, b"1", RECEIVED)


@pytest.mark.parametrize("config, problem", [
    ({"topic": "a/#/b"}, "'#' must be the last level"),
    ({"topic": "a/x+/b"}, "mixes a wildcard with text"),
    ({"topic": "a/{s}/{s}", "series": "{s}"}, "used twice"),
    ({"topic": "a/+/reading"}, "names {series}, which is not a level"),
    ({"topic": "a/{series}", "format": "xml"}, "format 'xml'"),
    ({"topic": "a/{series}", "time_format": "rfc822"}, "time_format 'rfc822'"),
    ({"topic": "a/{s}", "series_field": "id", "format": "number"}, "format 'number' has no JSON fields"),
    ({"topic": "a/{series}", "colour": "red"}, "unknown key 'colour'"),
    ({"series": "{x}"}, "'topic' is missing"),
    ({"topic": "a/{series}", "value": 3}, "'value' must be text"),
])
def test_a_bad_mapping_is_refused_naming_the_mapping_and_the_key(config, problem):
    with pytest.raises(MappingError) as caught:
        from_config({"mappings": [{"topic": "ok/{series}"}, config]}, where="mqtt.yaml")
    assert str(caught.value).startswith("mqtt.yaml, mapping 2: ")
    assert problem in str(caught.value)


def test_a_mapping_file_is_yaml_or_json():
    yaml_text = """
mappings:
  - topic: "kestermouth/{group}/{series}/reading"
    time_format: epoch_ms
    message_id: null
  - topic: "legacy/{series}"
    format: number
"""
    mappings = load(yaml_text, where="mqtt.yaml")
    assert mappings.subscriptions == ["kestermouth/+/+/reading", "legacy/+"]
    reading = mappings.read("kestermouth/air/no2-quay/reading", b'{"time": 1795767300250, "value": 31, "id": "x"}',
                            RECEIVED)
    assert (reading.series, reading.message_id) == ("no2-quay", None)
    assert load('[{"topic": "a/{series}"}]').subscriptions == ["a/+"]
    with pytest.raises(MappingError, match="mqtt.yaml: not YAML or JSON"):
        load("mappings: [", where="mqtt.yaml")
    with pytest.raises(MappingError, match="expected 'mappings:'"):
        load("just text", where="mqtt.yaml")


@pytest.mark.parametrize("raw, expected", [
    (315_532_800, datetime(1980, 1, 1, tzinfo=timezone.utc)),
    (7_289_654_399, datetime(2200, 12, 31, 23, 59, 59, tzinfo=timezone.utc)),
    (315_532_800_000, datetime(1980, 1, 1, tzinfo=timezone.utc)),
    (315_532_800_001, datetime(1980, 1, 1, 0, 0, 0, 1000, tzinfo=timezone.utc)),
    (7_289_654_399_999, datetime(2200, 12, 31, 23, 59, 59, 999000, tzinfo=timezone.utc)),
])
def test_epoch_times_from_1980_to_2200_are_read(raw, expected):
    assert parse_time(raw) == expected


@pytest.mark.parametrize("raw", [20261120, -1, 0, 99_999_999, 100_000_000, 315_532_799, 7_289_654_400, 99_999_999_999,
                                 100_000_000_001, 315_532_799_999, 7_289_654_400_000, 10 ** 400, -(10 ** 400)])
def test_an_epoch_time_outside_1980_to_2200_is_refused_as_files_are(raw):
    with pytest.raises(PayloadError) as caught:
        parse_time(raw)
    assert str(caught.value).endswith(" is out of range: give epoch seconds, or milliseconds (numbers over 10^11), "
                                      "from 1980-01-01 to the end of 2200"), str(caught.value)


@pytest.mark.parametrize("raw, looks_like", [
    (202611200800, "2026-11-20T08:00"), (190001010000, "1900-01-01T00:00"), (219912312359, "2199-12-31T23:59"),
    (20261120080005, "2026-11-20T08:00:05"),
])
def test_a_compact_date_time_is_refused_not_read_as_milliseconds_and_the_reason_says_what_it_looks_like(
        raw, looks_like):
    """202611200800 (2026-11-20 08:00) as epoch milliseconds is 1976-06-03: refused, with a hint, in any time format."""
    hint = f"{raw} looks like a compact date-time ({looks_like}); write times as ISO 8601 with a zone"
    for time_format in ("auto", "epoch_ms", "epoch_s"):
        with pytest.raises(PayloadError) as caught:
            parse_time(raw, time_format)
        assert str(caught.value) == f"time {raw} is out of range: {EPOCH_RULE}; {hint}", time_format
    with pytest.raises(PayloadError) as caught:
        parse_time(float(raw))
    assert str(caught.value).endswith(f"; {hint}")
    with pytest.raises(PayloadError) as caught:  # as text: not ISO 8601, and the same hint
        parse_time(str(raw))
    assert str(caught.value) == f"time '{raw}' is not an ISO 8601 time; {hint}"


@pytest.mark.parametrize("raw", [199913011200, 202611200875, 100_000_000_000, 20261120, 202611200800.5])
def test_a_refused_epoch_number_that_is_no_date_time_has_no_hint(raw):
    with pytest.raises(PayloadError) as caught:
        parse_time(raw)
    assert str(caught.value).endswith(f"out of range: {EPOCH_RULE}"), str(caught.value)


def test_a_message_with_a_compact_date_time_is_a_payload_error_with_the_reason_to_quarantine():
    with pytest.raises(PayloadError) as caught:
        read(Mapping(topic="city/+/{series}/reading"), "city/air/pm25/reading", b'{"time": 202611200800, "value": 1}')
    assert str(caught.value) == (f"time 202611200800 is out of range: {EPOCH_RULE}; 202611200800 looks like a compact "
                                 "date-time (2026-11-20T08:00); write times as ISO 8601 with a zone")


@pytest.mark.parametrize("payload, reason", [
    (b'{"time": "2026-11-27T08:15:00Z", "value": 1' + b"0" * 400 + b"}", "field 'value' is not a finite number"),
    (b'{"time": "2026-11-27T08:15:00Z", "value": -1' + b"0" * 400 + b"}", "field 'value' is not a finite number"),
    (b'{"time": "2026-11-27T08:15:00Z", "value": 1e400}', "field 'value' is not a finite number"),
    (b'{"time": 1' + b"0" * 400 + b', "value": 1}', "time " + "1" + "0" * 36 + "... is out of range"),
    (b'{"time": 1764230400123456, "value": 1}', "time 1764230400123456 is out of range"),
    (b'{"time": "0001-01-01T00:30:00+01:00", "value": 1}', "time '0001-01-01T00:30:00+01:00' is out of range"),
    (b'{"time": "9999-12-31T23:30:00-01:00", "value": 1}', "time '9999-12-31T23:30:00-01:00' is out of range"),
    (b'{"time": "2026-11-27T08:15:00Z", "value": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     "payload is JSON nested too deeply"),
])
def test_numbers_and_times_out_of_range_and_deep_json_are_payload_errors(payload, reason):
    """Overflow, recursion and out-of-range errors are reasons to quarantine, like any other bad payload."""
    with pytest.raises(PayloadError) as caught:
        read(Mapping(topic="city/+/{series}/reading"), "city/air/pm25/reading", payload)
    assert str(caught.value).startswith(reason), str(caught.value)


def test_anything_else_raised_reading_a_message_is_a_payload_error(monkeypatch):
    from cityline.observations.domain import payload as module

    def broken(*args):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(module, "parse_time", broken)
    with pytest.raises(PayloadError, match=r"payload cannot be read \(OverflowError: date value out of range\)"):
        read(Mapping(topic="c/{series}"), "c/s1", b'{"time": "2026-11-27T08:15:00Z", "value": 1}')
