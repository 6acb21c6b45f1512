"""A small hand-made city for tests of citizen services and channels (B9, B11).

``make_services_city()`` returns ``(city, r)`` where ``r`` is a dict of the records by
key. Two organisations (``council``, ``nhs``); needs ``get-about`` and ``care``;
services ``bins`` (council, flagged as an asset-to-device candidate), ``blue-badge``
(council, need get-about), ``bus-pass`` (nhs, need get-about); channels ``phone``
(Avaya), ``web`` (Portal), ``counter`` and ``sensor`` (asset-to-device). Offerings:
bins on phone and web, blue-badge on counter only, bus-pass on web. Audit for 2025-Q1:
bins/phone 400 transactions for 1600.00 (SL 80 %), bins/web 600 for 90.00 (SL 99 %),
blue-badge/counter 50 for 425.50 (SL 95 %). One segment ``older-people`` needing
get-about and care, with a franchise team led by ``ada`` whose scope is blue-badge.
"""

from __future__ import annotations

from decimal import Decimal as D

from cityline.core import actions
from cityline.core.testing import make_city, make_organisation, make_person

from . import models as m


def make_services_city(key: str = "testville"):
    city = make_city(key=key, name=key.title())
    r: dict = {}
    r["council"] = make_organisation(city, "council")
    r["nhs"] = make_organisation(city, "nhs")
    r["ada"] = make_person(city, "ada")
    for k in ("get-about", "care"):
        r[k] = actions.create(m.UserNeed, city=city, key=k, name=k.replace("-", " ").title())
    for k, provider, needs, extra in (
        ("bins", "council", [], {"device_candidate": True}),
        ("blue-badge", "council", ["get-about"], {"life_events": ["living_with_a_disability"]}),
        ("bus-pass", "nhs", ["get-about"], {"life_events": ["getting_older", "living_with_a_disability"]}),
    ):
        r[k] = actions.create(m.Service, city=city, key=k, name=k.replace("-", " ").title(), purpose="Purpose.",
                              m2m={"providers": [r[provider]], "needs": [r[n] for n in needs]}, **extra)
    for k, kind, system in (("phone", "phone", "Avaya"), ("web", "web", "Portal"), ("counter", "face_to_face", ""),
                            ("sensor", "asset_to_device", "IoT hub")):
        r[k] = actions.create(m.Channel, city=city, key=k, name=k.title(), kind=kind, it_system=system)
    for service, channel in (("bins", "phone"), ("bins", "web"), ("blue-badge", "counter"), ("bus-pass", "web")):
        actions.create(m.ServiceChannel, city=city, service=r[service], channel=r[channel])
    for service, channel, t, cost, sl in (("bins", "phone", 400, "1600.00", "80"), ("bins", "web", 600, "90.00", "99"),
                                          ("blue-badge", "counter", 50, "425.50", "95")):
        actions.create(m.ChannelAudit, city=city, service=r[service], channel=r[channel], year=2025, quarter=1,
                       transactions=t, total_cost=D(cost), service_level_met=D(sl))
    r["older-people"] = actions.create(m.CustomerSegment, city=city, key="older-people", name="Older people",
                                       size=1000, m2m={"needs": [r["get-about"], r["care"]]})
    r["older-team"] = actions.create(m.FranchiseTeam, city=city, key="older-team", name="Older people's team",
                                     segment=r["older-people"], lead=r["ada"],
                                     m2m={"members": [r["council"], r["nhs"]], "services": [r["blue-badge"]]})
    return city, r
