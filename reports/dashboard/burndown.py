"""A programme's budget burn-down as server-side SVG: what remained at the end of each month, and a dashed
projection at the current pace down to the day it runs out, marked with a labelled vertical line."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from reports.dashboard.charts import MONTH_NAMES, no_data, value_axis_left
from reports.dashboard.svg import AXIS, INK, colour, compact, element, grouped, nice_ticks, svg_document, text, title

# A projection further out than this is drawn to the edge and the date written there instead.
HORIZON = timedelta(days=730)
LINE = colour(0)
RUN_OUT = colour(2)


@dataclass(frozen=True)
class BudgetPoint:
    day: date
    remaining: int


def long_date(day: date) -> str:
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def _month_starts(first: date, last: date) -> list[date]:
    months, cursor = [], date(first.year, first.month, 1)
    if cursor < first:
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    while cursor <= last:
        months.append(cursor)
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return months


def burn_down(
    *,
    chart_id: str,
    heading: str,
    points: Sequence[BudgetPoint],
    runs_out_on: date | None,
    width: int = 640,
    height: int = 280,
) -> str:
    """The remaining budget over time (solid, one dot per point) and its projection (dashed) to `runs_out_on`."""
    if not points:
        ticks = [0, 1]
        left, right, top, bottom = 60.0, width - 12.0, 14.0, height - 48.0
        body = value_axis_left(ticks, left, right, top, bottom, "Points remaining", empty=True) + no_data(
            left, right, top, bottom
        )
        return svg_document(width, height, chart_id, heading, "No budget movements", body)

    first, last = points[0].day, points[-1].day
    end = last + timedelta(days=31)
    projected_to, projected_value = None, None
    if runs_out_on is not None:
        if runs_out_on <= last + HORIZON:
            projected_to, projected_value, end = runs_out_on, 0, max(end, runs_out_on + timedelta(days=15))
        else:  # draw the pace to the chart's edge
            end = last + HORIZON
            share = (end - last) / (runs_out_on - last)
            projected_to, projected_value = end, round(points[-1].remaining * (1 - share))
    span = max((end - first).days, 1)
    ticks = nice_ticks(max(p.remaining for p in points))
    left = 22 + max(len(compact(t)) * 7.2 for t in ticks)
    right, top, bottom = width - 12, 14, height - 48
    scale_y = (bottom - top) / ticks[-1]

    def x_of(day: date) -> float:
        return left + (day - first).days / span * (right - left)

    def y_of(value: int) -> float:
        return bottom - value * scale_y

    parts = [value_axis_left(ticks, left, right, top, bottom, "Points remaining")]
    starts = _month_starts(first, end)
    every = max(1, -(-len(starts) // 12))  # at most 12 month labels
    for index, start in enumerate(starts):
        if index % every:
            continue
        x = x_of(start)
        parts.append(element("line", x1=x, x2=x, y1=float(bottom), y2=float(bottom + 4), stroke=AXIS))
        label = MONTH_NAMES[start.month - 1]
        parts.append(text(label, x=x, y=float(bottom + 16), text_anchor="middle", fill=INK))
        if index == 0 or start.year != starts[index - every].year:
            parts.append(text(str(start.year), x=x, y=float(bottom + 30), text_anchor="middle", fill=AXIS))

    path = " ".join(f"{'M' if i == 0 else 'L'}{x_of(p.day):.1f} {y_of(p.remaining):.1f}" for i, p in enumerate(points))
    parts.append(element("path", class_="remaining", d=path, fill="none", stroke=LINE, stroke_width="2.5"))
    for point in points:
        parts.append(
            element(
                "circle",
                title(f"{long_date(point.day)}: {grouped(point.remaining)} points remaining"),
                class_="point",
                cx=x_of(point.day),
                cy=y_of(point.remaining),
                r=3.5,
                fill=LINE,
                data_day=point.day.isoformat(),
                data_value=point.remaining,
            )
        )
    if projected_to is not None:
        parts.append(
            element(
                "line",
                class_="projection",
                x1=x_of(last),
                y1=y_of(points[-1].remaining),
                x2=x_of(projected_to),
                y2=y_of(projected_value),
                stroke=LINE,
                stroke_width="2",
                stroke_dasharray="6 4",
            )
        )
        marker_x = x_of(projected_to)
        caption = f"Runs out {long_date(runs_out_on)}"
        anchor = "end" if marker_x > (left + right) / 2 else "start"
        shift = -6 if anchor == "end" else 6
        parts.append(
            element(
                "g",
                title(f"At the pace of the last 90 days the budget runs out on {long_date(runs_out_on)}")
                + element(
                    "line",
                    x1=marker_x,
                    x2=marker_x,
                    y1=float(top),
                    y2=float(bottom),
                    stroke=RUN_OUT,
                    stroke_width="1.5",
                    stroke_dasharray="3 3",
                )
                + text(
                    caption, x=marker_x + shift, y=float(top + 12), text_anchor=anchor, fill=RUN_OUT, font_weight="600"
                ),
                class_="runs-out",
                data_day=runs_out_on.isoformat(),
            )
        )
    description = (
        f"Points remaining from {long_date(first)} to {long_date(last)}: {grouped(points[-1].remaining)} now; "
        + (f"at the current pace it runs out on {long_date(runs_out_on)}." if runs_out_on else "not being drawn down.")
    )
    return svg_document(width, height, chart_id, heading, description, "".join(parts))
