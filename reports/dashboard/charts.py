"""Bar charts of the dashboard as server-side SVG: stacked columns (points by business unit per month) and
horizontal bars (vouchers by brand, top rules and sources). The burn-down line is in burndown.py.

Every bar is a `<rect class="bar">` with its series, category and value in data- attributes and a
`<title>` a person sees on hover and a screen reader reads; heights and lengths are proportional to the
values on an axis starting at zero."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reports.dashboard.svg import (
    AXIS,
    GRID,
    INK,
    colour,
    compact,
    element,
    grouped,
    nice_ticks,
    shorten,
    svg_document,
    text,
    text_width,
    title,
)

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
NO_DATA = "No activity in this period"


@dataclass(frozen=True)
class Series:
    """One named measure or group, one value per category, drawn in `PALETTE[colour_index]`."""

    name: str
    values: tuple[int, ...]
    colour_index: int = 0


def month_label(month: str, first: bool) -> tuple[str, str]:
    """'2026-03' → ('Mar', '2026') where a year's labels start (`first`), ('Mar', '') otherwise."""
    year, _, number = month.partition("-")
    if not number.isdigit() or not 1 <= int(number) <= 12:
        return month, ""
    name = MONTH_NAMES[int(number) - 1]
    return name, year if first else ""


def legend(series: Sequence[Series], x: float, y: float, width: float) -> tuple[str, float]:
    """Swatches and names in rows that wrap at `width`; answers the markup and the height used."""
    items, cursor_x, cursor_y = [], x, y
    for entry in series:
        label = shorten(entry.name, 28)
        item_width = 18 + text_width(label) + 16
        if cursor_x > x and cursor_x + item_width > x + width:
            cursor_x, cursor_y = x, cursor_y + 18
        items.append(
            element(
                "g",
                title(entry.name)
                + element(
                    "rect",
                    x=float(cursor_x),
                    y=float(cursor_y),
                    width=12,
                    height=12,
                    rx=2,
                    fill=colour(entry.colour_index),
                )
                + text(label, x=float(cursor_x + 17), y=float(cursor_y + 10), fill=INK),
                class_="legend-item",
            )
        )
        cursor_x += item_width
    return element("g", "".join(items), class_="legend"), cursor_y - y + 18


def value_axis_left(
    ticks: Sequence[float], left: float, right: float, top: float, bottom: float, label: str, empty: bool = False
) -> str:
    """Horizontal grid lines with their values on the left and the axis's name turned up the side (only the
    zero when the chart is `empty`: a scale of nothing has no values to read)."""
    scale = (bottom - top) / ticks[-1]
    parts = []
    for tick in ticks:
        y = bottom - tick * scale
        parts.append(element("line", x1=float(left), x2=float(right), y1=float(y), y2=float(y), stroke=GRID))
        if tick == 0 or not empty:
            parts.append(text(compact(tick), x=float(left - 6), y=float(y + 4), text_anchor="end", fill=INK))
    middle = (top + bottom) / 2
    parts.append(
        text(label, x=14.0, y=float(middle), text_anchor="middle", transform=f"rotate(-90 14 {middle:.1f})", fill=INK)
    )
    parts.append(element("line", x1=float(left), x2=float(left), y1=float(top), y2=float(bottom), stroke=AXIS))
    return element("g", "".join(parts), class_="axis axis-y")


def stacked_bars(
    *,
    chart_id: str,
    heading: str,
    categories: Sequence[str],
    series: Sequence[Series],
    y_label: str,
    unit: str = "points",
    width: int = 640,
    height: int = 300,
) -> str:
    """One column per month, stacked by series (bottom to top in `series` order), with the total on top."""
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    ticks = nice_ticks(max(totals, default=0))
    legend_markup, legend_height = legend(series, 56, 0, width - 64) if series else ("", 0)
    left = 22 + max(text_width(compact(t)) for t in ticks)
    right, top = width - 8, 18
    bottom = height - 44 - legend_height
    scale = (bottom - top) / ticks[-1]
    band = (right - left) / max(len(categories), 1)
    bar_width = min(band * 0.64, 56)
    every = max(1, math.ceil(30 / band))  # a month's name needs about 30 px: past that, every n-th month

    parts = [value_axis_left(ticks, left, right, top, bottom, y_label, empty=not any(totals))]
    for index, category in enumerate(categories):
        x = left + band * index + (band - bar_width) / 2
        stack_top = bottom
        for entry in series:
            value = entry.values[index]
            if value <= 0:
                continue
            bar_height = value * scale
            stack_top -= bar_height
            parts.append(
                element(
                    "rect",
                    title(f"{entry.name}, {category}: {grouped(value)} {unit}"),
                    class_="bar",
                    x=float(x),
                    y=float(stack_top),
                    width=float(bar_width),
                    height=float(bar_height),
                    fill=colour(entry.colour_index),
                    data_series=entry.name,
                    data_category=category,
                    data_value=value,
                )
            )
        if totals[index]:
            parts.append(
                text(
                    compact(totals[index]),
                    x=float(x + bar_width / 2),
                    y=float(stack_top - 4),
                    text_anchor="middle",
                    fill=INK,
                    font_size="11",
                    class_="total",
                )
            )
        if index % every:
            continue
        first_of_year = index == 0 or categories[index - every][:4] != category[:4]
        name, year = month_label(category, first_of_year)
        parts.append(text(name, x=float(x + bar_width / 2), y=float(bottom + 15), text_anchor="middle", fill=INK))
        if year:
            parts.append(text(year, x=float(x + bar_width / 2), y=float(bottom + 29), text_anchor="middle", fill=AXIS))
    if not any(totals):
        parts.append(no_data(left, right, top, bottom))
    if series:
        parts.append(element("g", legend_markup, transform=f"translate(0 {height - legend_height:.0f})"))
    description = (
        f"{y_label} per month from {categories[0]} to {categories[-1]}, stacked by " + ", ".join(s.name for s in series)
        if categories and series
        else NO_DATA
    )
    return svg_document(width, height, chart_id, heading, description, "".join(parts))


def no_data(left: float, right: float, top: float, bottom: float) -> str:
    return text(
        NO_DATA,
        x=float((left + right) / 2),
        y=float((top + bottom) / 2),
        text_anchor="middle",
        fill=AXIS,
        font_size="14",
        class_="no-data",
    )


def horizontal_bars(
    *,
    chart_id: str,
    heading: str,
    labels: Sequence[str],
    series: Sequence[Series],
    x_label: str,
    unit: str = "",
    width: int = 640,
) -> str:
    """One row per label with one bar per series (side by side), the value written at each bar's end."""
    if not labels:  # no axis to read: the message alone
        body = text(NO_DATA, x=width / 2, y=24.0, text_anchor="middle", fill=AXIS, font_size="14", class_="no-data")
        return svg_document(width, 40, chart_id, heading, NO_DATA, body)
    row_gap, bar_height = 10, 14
    row_height = bar_height * max(len(series), 1) + row_gap
    shown = [shorten(label, 24) for label in labels]
    left = 12 + max((text_width(label) for label in shown), default=40)
    legend_markup, legend_height = legend(series, left, 0, width - left) if len(series) > 1 else ("", 0)
    top = 8
    bottom = top + row_height * max(len(labels), 1)
    height = int(bottom + 40 + legend_height)
    largest = max((value for s in series for value in s.values), default=0)
    ticks = nice_ticks(largest, count=4)
    right = width - 12 - text_width(grouped(largest))
    scale = (right - left) / ticks[-1]

    parts = []
    for tick in ticks:
        x = left + tick * scale
        parts.append(element("line", x1=float(x), x2=float(x), y1=float(top), y2=float(bottom), stroke=GRID))
        parts.append(text(compact(tick), x=float(x), y=float(bottom + 15), text_anchor="middle", fill=INK))
    parts.append(text(x_label, x=float((left + right) / 2), y=float(bottom + 32), text_anchor="middle", fill=INK))
    for row, (label, short) in enumerate(zip(labels, shown, strict=True)):
        y = top + row * row_height + row_gap / 2
        parts.append(
            element(
                "g",
                title(label)
                + text(short, x=float(left - 8), y=float(y + row_height / 2 - 1), text_anchor="end", fill=INK),
                class_="row-label",
            )
        )
        for position, entry in enumerate(series):
            value = entry.values[row]
            bar_y = y + position * bar_height
            length = value * scale
            suffix = f" {unit}" if unit else ""
            parts.append(
                element(
                    "rect",
                    title(f"{label}, {entry.name}: {grouped(value)}{suffix}"),
                    class_="bar",
                    x=float(left),
                    y=float(bar_y),
                    width=float(length),
                    height=float(bar_height - 2),
                    fill=colour(entry.colour_index),
                    data_series=entry.name,
                    data_category=label,
                    data_value=value,
                )
            )
            parts.append(
                text(
                    grouped(value),
                    x=float(left + length + 4),
                    y=float(bar_y + bar_height - 4),
                    fill=INK,
                    font_size="11",
                    class_="value",
                )
            )
    parts.append(element("line", x1=float(left), x2=float(left), y1=float(top), y2=float(bottom), stroke=AXIS))
    if legend_markup:
        parts.append(element("g", legend_markup, transform=f"translate(0 {height - legend_height:.0f})"))
    description = f"{x_label} by {', '.join(s.name for s in series)} for {len(labels)} rows" if labels else NO_DATA
    return svg_document(width, height, chart_id, heading, description, "".join(parts))
