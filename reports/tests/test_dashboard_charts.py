"""The dashboard's SVG charts, read back as XML: one bar per value, heights and lengths proportional to the
values, labels and legends, names from clients' data escaped, round axis ticks, nothing drawn for no data."""

import xml.etree.ElementTree as ET
from datetime import date

import pytest

from reports.dashboard.burndown import BudgetPoint, burn_down
from reports.dashboard.charts import NO_DATA, Series, horizontal_bars, stacked_bars
from reports.dashboard.svg import PALETTE, compact, grouped, nice_ticks

NS = {"svg": "http://www.w3.org/2000/svg"}
MONTHS = ("2026-01", "2026-02", "2026-03")


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # fails on anything that is not well-formed XML


def bars(root: ET.Element) -> list[ET.Element]:
    return root.findall(".//svg:rect[@class='bar']", NS)


def texts(root: ET.Element) -> list[str]:
    return [node.text for node in root.iter(f"{{{NS['svg']}}}text")]


def by_bar(root):
    return {(b.get("data-series"), b.get("data-category")): b for b in bars(root)}


def stacked(series, categories=MONTHS):
    return parse(
        stacked_bars(
            chart_id="awarded", heading="Points awarded", categories=categories, series=series, y_label="Points"
        )
    )


def test_stacked_bars_draw_one_rect_per_nonzero_value_with_heights_proportional():
    root = stacked([Series("Sales", (100, 0, 300), 0), Series("Support", (50, 200, 0), 1)])

    drawn = by_bar(root)
    assert sorted(drawn) == [
        ("Sales", "2026-01"),
        ("Sales", "2026-03"),
        ("Support", "2026-01"),
        ("Support", "2026-02"),
    ]
    height = {key: float(bar.get("height")) for key, bar in drawn.items()}
    unit = height[("Sales", "2026-01")] / 100
    assert unit > 0
    assert height[("Sales", "2026-03")] == pytest.approx(300 * unit, abs=0.02)
    assert height[("Support", "2026-01")] == pytest.approx(50 * unit, abs=0.02)
    assert height[("Support", "2026-02")] == pytest.approx(200 * unit, abs=0.02)
    assert [drawn[k].get("data-value") for k in sorted(drawn)] == ["100", "300", "50", "200"]


def test_stacked_bars_stack_in_series_order_and_share_a_column():
    root = stacked([Series("Sales", (100, 0, 0), 0), Series("Support", (50, 0, 0), 1)])
    sales, support = by_bar(root)[("Sales", "2026-01")], by_bar(root)[("Support", "2026-01")]

    assert sales.get("x") == support.get("x") and sales.get("width") == support.get("width")
    # the second series sits directly on the first
    assert float(support.get("y")) + float(support.get("height")) == pytest.approx(float(sales.get("y")), abs=0.02)
    assert (sales.get("fill"), support.get("fill")) == (PALETTE[0], PALETTE[1])


def test_stacked_bars_axis_starts_at_zero_and_reaches_the_tallest_column():
    root = stacked([Series("Sales", (940, 10, 0), 0)])
    labels = texts(root)

    for tick in ("0", "200", "400", "600", "800", "1k"):
        assert tick in labels
    assert "940" in labels  # the column's total over it
    assert [t for t in labels if t in ("Jan", "Feb", "Mar", "2026")] == ["Jan", "2026", "Feb", "Mar"]


def test_many_months_label_every_other_column_and_each_year_once():
    months = [f"{year}-{month:02d}" for year in (2024, 2025, 2026) for month in range(1, 13)]
    root = stacked([Series("Sales", tuple(range(1, 37)), 0)], categories=months)

    assert len(bars(root)) == 36
    labels = [t for t in texts(root) if t in ("Jan", "Mar", "May", "Jul", "Sep", "Nov", "Feb", "Dec")]
    assert labels == ["Jan", "Mar", "May", "Jul", "Sep", "Nov"] * 3
    assert [t for t in texts(root) if t in ("2024", "2025", "2026")] == ["2024", "2025", "2026"]


def test_stacked_bars_have_a_title_description_legend_and_axis_label():
    root = stacked([Series("Sales", (1, 2, 3), 0), Series("Support", (1, 2, 3), 1)])

    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "awarded-title awarded-desc"
    assert root.find("svg:title", NS).text == "Points awarded"
    assert root.find("svg:desc", NS).text == "Points per month from 2026-01 to 2026-03, stacked by Sales, Support"
    legend = [item.find("svg:text", NS).text for item in root.findall(".//svg:g[@class='legend-item']", NS)]
    assert legend == ["Sales", "Support"]
    assert "Points" in texts(root)
    assert by_bar(root)[("Sales", "2026-03")].find("svg:title", NS).text == "Sales, 2026-03: 3 points"


def test_a_name_from_client_data_is_escaped_everywhere():
    name = '<script>alert("x")</script> & Co'
    markup = stacked_bars(
        chart_id="x", heading="<b>Awarded</b>", categories=MONTHS, series=[Series(name, (1, 2, 3))], y_label="Points"
    )

    assert "<script>" not in markup and "<b>" not in markup
    root = parse(markup)
    assert root.find("svg:title", NS).text == "<b>Awarded</b>"
    assert {bar.get("data-series") for bar in bars(root)} == {name}
    assert root.find(".//svg:g[@class='legend-item']/svg:title", NS).text == name


def test_no_activity_draws_no_bars_and_says_so():
    root = stacked([Series("Sales", (0, 0, 0), 0)])

    assert bars(root) == []
    assert root.find(".//svg:text[@class='no-data']", NS).text == NO_DATA


def test_horizontal_bars_lengths_proportional_values_written_at_the_end():
    root = parse(
        horizontal_bars(
            chart_id="brands",
            heading="Vouchers by brand",
            labels=["Amazon", "Zalando"],
            series=[Series("Issued", (1200, 300), 0), Series("Redeemed", (600, 0), 1)],
            x_label="Vouchers",
        )
    )

    drawn = by_bar(root)
    assert len(drawn) == 4  # a zero is a bar of no length, so the rows stay aligned
    length = {key: float(bar.get("width")) for key, bar in drawn.items()}
    unit = length[("Issued", "Amazon")] / 1200
    assert length[("Issued", "Zalando")] == pytest.approx(300 * unit, abs=0.02)
    assert length[("Redeemed", "Amazon")] == pytest.approx(600 * unit, abs=0.02)
    assert length[("Redeemed", "Zalando")] == 0
    values = [node.text for node in root.findall(".//svg:text[@class='value']", NS)]
    assert values == ["1,200", "600", "300", "0"]
    rows = [node.find("svg:text", NS).text for node in root.findall(".//svg:g[@class='row-label']", NS)]
    assert rows == ["Amazon", "Zalando"]


def test_horizontal_bars_shorten_long_labels_but_keep_them_in_the_title():
    long = "A brand with a name far too long for the column"
    root = parse(
        horizontal_bars(chart_id="b", heading="B", labels=[long], series=[Series("Issued", (3,))], x_label="V")
    )

    row = root.find(".//svg:g[@class='row-label']", NS)
    assert row.find("svg:title", NS).text == long
    assert row.find("svg:text", NS).text == long[:23] + "…"
    assert root.findall(".//svg:g[@class='legend']", NS) == []  # one series needs no legend


def test_burn_down_draws_the_months_and_the_projection_to_the_run_out_date():
    points = [BudgetPoint(date(2026, 1, 31), 900), BudgetPoint(date(2026, 2, 28), 600)]
    root = parse(burn_down(chart_id="p1", heading="P1", points=points, runs_out_on=date(2026, 4, 30)))

    dots = root.findall(".//svg:circle[@class='point']", NS)
    assert [(d.get("data-day"), d.get("data-value")) for d in dots] == [("2026-01-31", "900"), ("2026-02-28", "600")]
    # y is linear in the value: 900 is 1.5 times as far above the axis as 600
    axis_y = float(root.find(".//svg:g[@class='axis axis-y']/svg:line[last()]", NS).get("y2"))
    first, second = (axis_y - float(d.get("cy")) for d in dots)
    assert first == pytest.approx(1.5 * second, abs=0.05)
    projection = root.find(".//svg:line[@class='projection']", NS)
    assert (projection.get("x1"), projection.get("y1")) == (dots[1].get("cx"), dots[1].get("cy"))
    assert float(projection.get("y2")) == pytest.approx(axis_y)
    marker = root.find(".//svg:g[@class='runs-out']", NS)
    assert marker.get("data-day") == "2026-04-30"
    assert marker.find("svg:text", NS).text == "Runs out 30 Apr 2026"
    assert marker.find("svg:line", NS).get("x1") == projection.get("x2")
    assert root.find("svg:desc", NS).text.endswith("at the current pace it runs out on 30 Apr 2026.")


def test_burn_down_far_run_out_is_drawn_to_the_edge_and_undrawn_budget_has_no_projection():
    points = [BudgetPoint(date(2026, 1, 31), 1000)]
    far = parse(burn_down(chart_id="f", heading="F", points=points, runs_out_on=date(2036, 1, 31)))
    marker = far.find(".//svg:g[@class='runs-out']", NS)
    assert marker.find("svg:text", NS).text == "Runs out 31 Jan 2036"
    assert float(far.find(".//svg:line[@class='projection']", NS).get("y2")) < float(
        far.find(".//svg:g[@class='axis axis-y']/svg:line[last()]", NS).get("y2")
    )

    still = parse(burn_down(chart_id="s", heading="S", points=points, runs_out_on=None))
    assert still.find(".//svg:line[@class='projection']", NS) is None
    assert still.find(".//svg:g[@class='runs-out']", NS) is None
    assert still.find("svg:desc", NS).text.endswith("not being drawn down.")

    empty = parse(burn_down(chart_id="e", heading="E", points=[], runs_out_on=None))
    assert empty.find(".//svg:text[@class='no-data']", NS).text == NO_DATA


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (940, [0, 200, 400, 600, 800, 1000]),
        (1000, [0, 200, 400, 600, 800, 1000]),
        (7, [0, 2, 4, 6, 8]),
        (1, [0, 1]),
        (2, [0, 1, 2]),
        (0, [0, 1]),
        (1_250_000, [0, 250_000, 500_000, 750_000, 1_000_000, 1_250_000]),
    ],
)
def test_ticks_are_round_and_reach_the_top(top, ticks):
    assert nice_ticks(top) == pytest.approx(ticks)


def test_numbers_are_written_as_people_read_them():
    assert [grouped(v) for v in (0, 999, 1250000, 12.5)] == ["0", "999", "1,250,000", "12.5"]
    assert [compact(v) for v in (0, 950, 1000, 2500, 3_000_000, 1_250_000_000)] == [
        "0",
        "950",
        "1k",
        "2.5k",
        "3M",
        "1.25B",
    ]
