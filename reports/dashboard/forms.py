"""The dashboard's date range: a GET form (from, to), its quick ranges, and the default of the last 12 months.

Anything wrong with the dates is an error on the form, shown above the panels, which then show the default
range: the page never answers 500 for what someone typed in the address bar."""

from dataclasses import dataclass
from datetime import date, timedelta

from django import forms

EARLIEST = date(2000, 1, 1)
LONGEST = timedelta(days=366 * 5)  # five years of months is still a readable chart


@dataclass(frozen=True)
class DateRange:
    date_from: date
    date_to: date

    def query(self) -> str:
        return f"from={self.date_from.isoformat()}&to={self.date_to.isoformat()}"

    def months(self) -> list[str]:
        """Every month the range touches, 'YYYY-MM', oldest first (a chart's columns, empty ones included)."""
        months, year, month = [], self.date_from.year, self.date_from.month
        while (year, month) <= (self.date_to.year, self.date_to.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months


def months_back(day: date, count: int) -> date:
    """The first day of the month `count` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def quick_ranges(today: date) -> list[tuple[str, DateRange]]:
    return [
        ("Last 30 days", DateRange(today - timedelta(days=29), today)),
        ("This year", DateRange(date(today.year, 1, 1), today)),
        ("Last 12 months", default_range(today)),
    ]


def default_range(today: date) -> DateRange:
    """The last 12 months: from the first of the month eleven months ago, so the chart has 12 columns."""
    return DateRange(months_back(today, 11), today)


class DateRangeForm(forms.Form):
    # Named as in the reports' CSV query parameters.
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data, *, today: date):
        super().__init__(data)
        self.today = today

    def add_prefix(self, field_name):  # `from` and `to` in the address, as in the CSV links
        return {"date_from": "from", "date_to": "to"}.get(field_name, field_name)

    def clean(self):
        cleaned = super().clean()
        default = default_range(self.today)
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if self.errors:
            return cleaned
        start = start or (months_back(end, 11) if end else default.date_from)
        if end is None:
            end = (
                min(self.today, months_back(start, -12) - timedelta(days=1))
                if cleaned.get("date_from")
                else default.date_to
            )
        if start < EARLIEST or end < EARLIEST:
            raise forms.ValidationError(f"Dates start on {EARLIEST.isoformat()}.", code="too_early")
        if start > end:
            raise forms.ValidationError("“From” must be on or before “To”.", code="reversed")
        if end - start > LONGEST:
            raise forms.ValidationError("A range of at most five years, please.", code="too_long")
        cleaned["range"] = DateRange(start, end)
        return cleaned

    def date_range(self) -> DateRange:
        """The range asked for when valid, else the default (the form then carries the error to show)."""
        if self.is_valid():
            return self.cleaned_data["range"]
        return default_range(self.today)
