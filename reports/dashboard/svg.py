"""The pieces every dashboard chart is drawn with: escaped elements, the fixed palette, numbers as people
read them and axis ticks at round values. Plain strings in, an SVG string out; no JavaScript, no CDN."""

import math
from html import escape

# Tableau 10: distinct for the common kinds of colour blindness, readable on white. A series keeps its
# colour by its position, so a business unit is the same colour in the awarded and redeemed charts.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
INK = "#333333"  # text
GRID = "#e3e3e3"
AXIS = "#888888"
FONT = "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def grouped(value: int | float) -> str:
    """1250000 → '1,250,000'; fractions keep up to two decimals (12.5 → '12.5')."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def compact(value: int | float) -> str:
    """A tick or a column's total in three figures: 2500 → '2.5k', 61130 → '61.1k', 3000000 → '3M'."""
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size * 0.9995:
            return f"{value / size:.3g}" + suffix
    return grouped(value)


def number(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros, so the markup stays short and stable."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def attributes(attrs: dict) -> str:
    parts = []
    for name, value in attrs.items():
        if value is None:
            continue
        shown = number(value) if isinstance(value, float) else str(value)
        parts.append(f' {name.rstrip("_").replace("_", "-")}="{escape(shown, quote=True)}"')
    return "".join(parts)


def element(tag: str, children: str = "", **attrs) -> str:
    """`<tag attrs>children</tag>`; attribute values are escaped, `children` is markup already."""
    if children:
        return f"<{tag}{attributes(attrs)}>{children}</{tag}>"
    return f"<{tag}{attributes(attrs)}/>"


def text(content: str, **attrs) -> str:
    """A `<text>` whose content is escaped (names come from clients' data)."""
    return element("text", escape(str(content), quote=False), **attrs)


def title(content: str) -> str:
    return element("title", escape(str(content), quote=False))


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round whole tick values from 0 to at least `top`: 0, 200, 400, 600, 800, 1000 for 940."""
    if top <= 0:
        return [0, 1]
    raw_step = top / count
    magnitude = 10 ** math.floor(math.log10(raw_step))
    # Points and counts are whole: a step below 1 would write ticks no value can have.
    step = max(1, next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step))
    if step == int(step):
        step = int(step)
    steps = math.ceil(top / step - 1e-9)
    return [step * i for i in range(steps + 1)]


def text_width(content: str, size: float = 12) -> float:
    """About how wide `content` is drawn at `size` px: to leave room for labels without a browser."""
    return len(str(content)) * size * 0.6


def shorten(content: str, limit: int) -> str:
    """A label cut to `limit` characters with an ellipsis; the full text stays in the element's <title>."""
    content = str(content)
    return content if len(content) <= limit else content[: limit - 1] + "…"


def svg_document(width: int, height: int, label_id: str, heading: str, description: str, body: str) -> str:
    """The chart's <svg>: scales to its box, announced to screen readers by its title and description."""
    return element(
        "svg",
        element("title", escape(heading, quote=False), id=f"{label_id}-title")
        + element("desc", escape(description, quote=False), id=f"{label_id}-desc")
        + body,
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {width} {height}",
        width="100%",
        role="img",
        aria_labelledby=f"{label_id}-title {label_id}-desc",
        class_="plum-chart",
        font_family=FONT,
        font_size="12",
    )
