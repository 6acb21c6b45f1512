"""The KPI spec format (issue 6): what parses, and every refusal naming the field at fault."""

from __future__ import annotations

import pytest

from cityline.observations.domain.spec import Spec, SpecError, parse

PM25 = {"attribute": "pm25"}


def agg(**extra):
    return {"series": PM25, "function": "mean", **extra}


def test_a_full_spec_parses():
    spec = parse({"version": 1, "value": agg(where={"quality": "ok", "hours": [7, 19], "weekdays": [5, 1, 1],
                                                    "min_value": 0, "max_value": 500}),
                  "group_by": "district", "combine": "max", "scale": 100})
    assert isinstance(spec, Spec) and not spec.is_ratio
    assert spec.value.series.attribute == ("pm25",)
    assert spec.value.where.quality == ("ok",) and spec.value.where.weekdays == (1, 5)
    assert spec.value.where.hours == (7, 19) and spec.scale == 100.0
    ratio = parse({"ratio": {"numerator": agg(function="count"), "denominator": agg(function="count")}})
    assert ratio.is_ratio and len(ratio.aggregations()) == 2 and ratio.combine == "mean"
    share = parse({"value": {"series": {"keys": ["a", "b"]}, "function": "share_above", "threshold": 25}})
    assert share.value.max_gap_seconds == 3600


@pytest.mark.parametrize("data,path,words", [
    ([], "", "an object"),
    ({"value": agg(), "extra": 1}, "extra", "unknown field"),
    ({"version": 2, "value": agg()}, "version", "spec version 1"),
    ({}, "value", "either value"),
    ({"value": agg(), "ratio": {}}, "value", "either value"),
    ({"value": "mean"}, "value", "an object"),
    ({"value": {"function": "mean"}}, "value.series", "missing"),
    ({"value": {"series": PM25}}, "value.function", "not one of"),
    ({"value": agg(function="median")}, "value.function", "'median' is not one of"),
    ({"value": agg(series={})}, "value.series", "at least one of"),
    ({"value": agg(series=["pm25"])}, "value.series", "an object"),
    ({"value": agg(series={"sensor": "x"})}, "value.series.sensor", "unknown field"),
    ({"value": agg(series={"keys": []})}, "value.series.keys", "non-empty list"),
    ({"value": agg(series={"group": ["air", 3]})}, "value.series.group", "names"),
    ({"value": agg(where=[])}, "value.where", "an object"),
    ({"value": agg(where={"flag": "ok"})}, "value.where.flag", "unknown field"),
    ({"value": agg(where={"quality": ""})}, "value.where.quality", "names"),
    ({"value": agg(where={"min_value": "10"})}, "value.where.min_value", "a number"),
    ({"value": agg(where={"max_value": True})}, "value.where.max_value", "a number"),
    ({"value": agg(where={"min_value": 5, "max_value": 1})}, "value.where.min_value", "above max_value"),
    ({"value": agg(where={"hours": [19, 7]})}, "value.where.hours", "0 <= from < to <= 24"),
    ({"value": agg(where={"hours": [0, 25]})}, "value.where.hours", "0 <= from < to <= 24"),
    ({"value": agg(where={"hours": [7]})}, "value.where.hours", "[from, to)"),
    ({"value": agg(where={"weekdays": [0]})}, "value.where.weekdays", "ISO weekdays"),
    ({"value": agg(where={"weekdays": []})}, "value.where.weekdays", "ISO weekdays"),
    ({"value": agg(function="percentile")}, "value.percentile", "missing"),
    ({"value": agg(function="percentile", percentile=95)}, "value.percentile", "between 0 and 1"),
    ({"value": agg(function="percentile", percentile="0.9")}, "value.percentile", "a number"),
    ({"value": agg(percentile=0.5)}, "value.percentile", "only for the function percentile"),
    ({"value": agg(function="share_above")}, "value.threshold", "missing"),
    ({"value": agg(function="share_above", threshold="high")}, "value.threshold", "a number"),
    ({"value": agg(function="share_above", threshold=1, max_gap_seconds=0)}, "value.max_gap_seconds",
     "above 0"),
    ({"value": agg(function="share_above", threshold=1, max_gap_seconds=1.5)}, "value.max_gap_seconds",
     "whole number"),
    ({"value": agg(threshold=1)}, "value.threshold", "only for the function share_above"),
    ({"value": agg(max_gap_seconds=60)}, "value.max_gap_seconds", "only for the function share_above"),
    ({"value": agg(function="distinct_count", of="week")}, "value.of", "'week' is not one of"),
    ({"value": agg(of="day")}, "value.of", "only for the function distinct_count"),
    ({"value": agg(weighted="yes")}, "value.weighted", "true or false"),
    ({"value": agg(function="sum", weighted=True)}, "value.weighted", "only a mean"),
    ({"ratio": []}, "ratio", "an object"),
    ({"ratio": {"numerator": agg()}}, "ratio.denominator", "missing"),
    ({"ratio": {"denominator": agg()}}, "ratio.numerator", "missing"),
    ({"ratio": {"numerator": agg(), "denominator": agg(), "third": agg()}}, "ratio.third", "unknown field"),
    ({"ratio": {"numerator": agg(function="max"), "denominator": agg(function="nope")}},
     "ratio.denominator.function", "not one of"),
    ({"value": agg(), "group_by": "street"}, "group_by", "'street' is not one of"),
    ({"value": agg(), "combine": "max"}, "combine", "only with group_by"),
    ({"value": agg(), "group_by": "district", "combine": "median"}, "combine", "'median' is not one of"),
    ({"value": agg(), "scale": "100"}, "scale", "a number"),
    ({"value": agg(), "scale": float("inf")}, "scale", "a finite number"),
    ({"value": agg(function="share_above", threshold=float("nan"))}, "value.threshold", "a finite number"),
])
def test_every_refusal_names_its_field(data, path, words):
    with pytest.raises(SpecError) as info:
        parse(data)
    assert info.value.path == path
    assert words in info.value.problem
    assert str(info.value).startswith(f"{path}: " if path else info.value.problem)
