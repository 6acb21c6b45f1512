"""Derived views of the channel audit and the channel-shift calculator on small hand-made data (B9, B11.a, B11.b).

No database: the rules are plain Python (cityline.citizen_services.domain).
"""

from decimal import Decimal as D

import pytest

from cityline.citizen_services.domain import audit, money, shift
from cityline.citizen_services.domain.audit import AuditRow, ChannelInfo, Offering, ServiceInfo

CHANNELS = [
    ChannelInfo("counter", "Counter", "face_to_face"),
    ChannelInfo("phone", "Contact centre", "phone", "Avaya"),
    ChannelInfo("web", "Website", "web", "Portal"),
    ChannelInfo("sensor", "Bin sensors", "asset_to_device", "IoT hub"),
]


def row(service, channel, year, quarter, t, cost, **rates):
    return AuditRow(service, channel, year, quarter, t, D(cost), **{k: D(v) for k, v in rates.items()})


ROWS = [
    row("bins", "phone", 2024, 4, 100, "400.00", service_level_met="80"),
    row("bins", "phone", 2025, 1, 300, "1200.00", service_level_met="96"),
    row("bins", "web", 2025, 1, 600, "90.00", service_level_met="99"),
    row("tax", "counter", 2025, 1, 50, "425.50", service_level_met="95"),
    row("tax", "web", 2025, 1, 950, "142.50"),
    row("tax", "phone", 2025, 1, 200, "1000.00", service_level_met="70"),
]


def test_unit_cost_four_decimals_half_up_and_none_without_transactions():
    assert audit.unit_cost(D("10.00"), 3) == D("3.3333")
    assert audit.unit_cost(D("0.05"), 200) == D("0.0003")  # 0.00025 rounds half up
    assert audit.unit_cost(D("5.00"), 0) is None


def test_money_refuses_float():
    with pytest.raises(TypeError):
        money.as_decimal(0.1)


def test_window_is_the_latest_four_quarters_or_one_year():
    rows = [row("s", "web", y, q, 1, "1") for y in (2023, 2024) for q in (1, 2, 3, 4)] + [row("s", "web", 2025, 1, 1, "1")]
    assert [(r.year, r.quarter) for r in audit.window(rows)] == [(2024, 2), (2024, 3), (2024, 4), (2025, 1)]
    assert [(r.year, r.quarter) for r in audit.window(rows, 2023)] == [(2023, 1), (2023, 2), (2023, 3), (2023, 4)]
    assert audit.period_label(audit.window(rows)) == "2024-Q2 to 2025-Q1"
    assert audit.window([]) == []


def test_weighted_rate_skips_rows_without_the_rate():
    # bins on phone: (80 x 100 + 96 x 300) / 400 = 92
    assert audit.weighted_rate(ROWS[:2], "service_level_met") == D("92.00")
    assert audit.weighted_rate([ROWS[4]], "service_level_met") is None


def test_cost_per_service_across_channels():
    """B11.a: cost per service across channels, with each channel's share of the service's transactions."""
    result = audit.cost_per_service(ROWS)
    assert [s.service for s in result] == ["bins", "tax"]
    bins, tax = result
    assert (bins.transactions, bins.total_cost, bins.unit_cost) == (1000, D("1690.00"), D("1.6900"))
    assert [(c.channel, c.transactions, c.total_cost, c.unit_cost, c.share) for c in bins.channels] == [
        ("phone", 400, D("1600.00"), D("4.0000"), D("40.00")),
        ("web", 600, D("90.00"), D("0.1500"), D("60.00")),
    ]
    assert (tax.transactions, tax.total_cost, tax.unit_cost) == (1200, D("1568.00"), D("1.3067"))
    assert [(c.channel, c.unit_cost, c.share) for c in tax.channels] == [
        ("counter", D("8.5100"), D("4.17")), ("phone", D("5.0000"), D("16.67")), ("web", D("0.1500"), D("79.17")),
    ]


def test_league_table_cheapest_first_ties_share_a_rank():
    rows = ROWS + [row("x", "sensor", 2025, 1, 0, "12.00")]
    table = audit.league_table(rows, CHANNELS)
    assert [(r.rank, r.channel, r.unit_cost, r.transactions, r.total_cost, r.services, r.digital) for r in table] == [
        (1, "web", D("0.1500"), 1550, D("232.50"), 2, True),
        (2, "phone", D("4.3333"), 600, D("2600.00"), 2, False),
        (3, "counter", D("8.5100"), 50, D("425.50"), 1, False),
        (None, "sensor", None, 0, D("12.00"), 1, True),
    ]
    tied = audit.league_table([row("a", "phone", 2025, 1, 1, "2"), row("a", "counter", 2025, 1, 2, "4"),
                               row("a", "web", 2025, 1, 1, "3")], CHANNELS)
    assert [(r.rank, r.channel) for r in tied] == [(1, "counter"), (1, "phone"), (3, "web")]


def test_services_without_a_digital_channel():
    services = [ServiceInfo("bins", "Bins"), ServiceInfo("tax", "Tax"), ServiceInfo("burial", "Burial"),
                ServiceInfo("parking", "Parking")]
    offerings = [Offering("bins", "phone"), Offering("bins", "sensor"), Offering("tax", "web"),
                 Offering("burial", "counter"), Offering("burial", "phone")]
    assert audit.services_without_digital(services, offerings, CHANNELS) == ["burial", "parking"]


def test_channels_below_the_service_level_standard():
    """B11.a: phone is at (80x100 + 96x300 + 70x200)/600 = 84.67 % < 90 %; counter (95) and web (99) meet it."""
    below = audit.below_standard(ROWS, D("90"))
    assert len(below) == 1
    b = below[0]
    assert (b.channel, b.service_level_met, b.threshold, b.shortfall) == ("phone", D("84.67"), D("90"), D("5.33"))
    assert b.services == (("tax", D("70.00")),)  # bins on phone is at 92 %
    # the default threshold is 90 %; a channel exactly at the threshold meets it
    assert [b.channel for b in audit.below_standard(ROWS)] == ["phone"]
    assert audit.below_standard(ROWS, D("84.67")) == []
    assert [b.channel for b in audit.below_standard(ROWS, D("99.5"))] == ["phone", "counter", "web"]


def test_duplicated_channel_it():
    offerings = [Offering("bins", "phone", "Avaya"), Offering("bins", "web", "Portal"), Offering("bins", "app", "portal "),
                 Offering("bins", "counter", ""), Offering("tax", "web", "Portal"), Offering("tax", "phone", "portal")]
    result = audit.duplicated_it(offerings)
    assert [(d.service, d.systems) for d in result] == [
        ("bins", (("Avaya", ("phone",)), ("Portal", ("app", "web")))),
    ]


def test_silo_gaps_need_served_by_two_organisations_without_a_one_stop_service():
    """B9: a need is a silo gap when its services involve two or more organisations and none is one-stop."""
    services = [
        ServiceInfo("blue-badge", "Blue badge", providers=("council",), needs=("get-about",)),
        ServiceInfo("bus-pass", "Bus pass", providers=("transport",), needs=("get-about",)),
        ServiceInfo("care-assess", "Care assessment", providers=("council", "nhs"), needs=("care",)),
        ServiceInfo("care-hub", "Care hub", providers=("council", "nhs", "charity"), needs=("care",), one_stop=True),
        ServiceInfo("library", "Library", providers=("council",), needs=("learn",)),
    ]
    gaps = audit.silo_gaps(["get-about", "care", "learn", "nothing"], services)
    assert [(g.need, g.organisations, g.services) for g in gaps] == [
        ("get-about", ("council", "transport"), ("blue-badge", "bus-pass")),
    ]
    assert audit.segment_services(["learn"], ["bus-pass"], services) == ["bus-pass", "library"]


def test_asset_to_device_candidates_with_their_volume():
    """B11.b.2: flagged services with the transactions they still carry off the asset-to-device channels."""
    services = [ServiceInfo("bins", "Bins", device_candidate=True), ServiceInfo("tax", "Tax"),
                ServiceInfo("lights", "Street lights", device_candidate=True)]
    rows = ROWS + [row("bins", "sensor", 2025, 1, 5000, "5.00")]
    result = audit.device_candidates(services, rows, CHANNELS)
    assert [(d.service, d.transactions, d.total_cost, d.channels) for d in result] == [
        ("bins", 1000, D("1690.00"), ("phone", "web")),
        ("lights", 0, D("0.00"), ()),
    ]


def test_channel_shift_calculator_exact():
    """B11.b, B11.b.3.i: 30 % of 12,345 moved over 3 years, 4.1235 -> 0.2168 per transaction, 10 % set aside."""
    r = shift.calculate(12345, D("4.1235"), D("0.2168"), D("30"), 3, D("10"), start_year=2026)
    assert r.unit_saving == D("3.9067")
    assert r.moved_transactions == 3704  # 3703.5 rounds half up
    assert r.annual_saving == D("14470.42")  # 3704 x 3.9067 = 14470.4168
    assert [(y.year, y.moved, y.gross_saving, y.set_aside, y.net_saving) for y in r.years] == [
        (2026, 1235, D("4824.77"), D("482.48"), D("4342.29")),  # 3704/3 = 1234.67 -> 1235
        (2027, 2469, D("9645.64"), D("964.56"), D("8681.08")),  # 2469.33 -> 2469
        (2028, 3704, D("14470.42"), D("1447.04"), D("13023.38")),
    ]
    assert (r.total_saving, r.total_set_aside, r.total_net_saving) == (D("28940.83"), D("2894.08"), D("26046.75"))
    assert r.as_dict()["total_net_saving"] == "26046.75"


def test_channel_shift_to_a_dearer_channel_sets_nothing_aside():
    r = shift.calculate(1000, D("1"), D("3"), D("50"), 1, D("25"))
    assert [(y.year, y.moved, y.gross_saving, y.set_aside, y.net_saving) for y in r.years] == [
        (1, 500, D("-1000.00"), D("0.00"), D("-1000.00"))]


@pytest.mark.parametrize("kwargs, field", [
    ({"share_moved": D("101")}, "share_moved"),
    ({"set_aside": D("-1")}, "set_aside"),
    ({"years": 0}, "years"),
    ({"from_unit_cost": D("-0.01")}, "from_unit_cost"),
])
def test_channel_shift_refuses_bad_inputs(kwargs, field):
    args = {"annual_transactions": 100, "from_unit_cost": D("2"), "to_unit_cost": D("1"), "share_moved": D("10"),
            "years": 1, "set_aside": D("0"), **kwargs}
    with pytest.raises(shift.ShiftError) as exc:
        shift.calculate(**args)
    assert exc.value.field == field


def test_channel_shift_refuses_float():
    with pytest.raises(TypeError):
        shift.calculate(100, 2.5, D("1"), D("10"))


def test_duplicated_channel_it_ignores_spaces_inside_system_names_too():
    """The docs compare system names ignoring case and spaces: "Customer Portal", "customer  portal" and
    "CustomerPortal" are one system, so a service on them is not flagged as duplicated IT (B11.a)."""
    offerings = [Offering("bins", "web", "Customer Portal"), Offering("bins", "app", "customer  portal"),
                 Offering("bins", "kiosk", "CustomerPortal"), Offering("tax", "web", "Customer Portal"),
                 Offering("tax", "phone", "Avaya\u00a0CC")]
    result = audit.duplicated_it(offerings)
    assert [(d.service, d.systems) for d in result] == [
        ("tax", (("Avaya\u00a0CC", ("phone",)), ("Customer Portal", ("web",)))),
    ]
