"""Charts a board reads: the funnel, burn-up (planned vs done) and the overdue trend.

The data comes from one grouped query (portfolio) or from rows already loaded (a pilot);
the geometry is computed here and drawn as inline SVG by templates/charts/, so pages and
PDFs show the same picture without JavaScript. Series differ by dash pattern as well as
colour, so a chart still reads when printed in black and white.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, DateField, Func, IntegerField, Value
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from pilots.templatetags.ninety import ldate

WEEKS_BACK = 12
WEEKS_AHEAD = 4


@dataclass(frozen=True)
class Style:
    colour: str
    dash: str = ""  # SVG stroke-dasharray; empty for a solid line


PLANNED = Style("#475467", "6 4")
DONE = Style("#067647")
OVERDUE = Style("#b42318", "2 3")


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[int | None]  # None: no value at that point (the future, for "done")
    style: Style


@dataclass(frozen=True)
class Plotted:
    label: str
    style: Style
    points: str  # SVG polyline points
    last_x: float
    last_y: float
    last_value: int

    @property
    def label_x(self) -> float:
        return self.last_x + 6


@dataclass(frozen=True)
class LineChart:
    title: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    series: list[Plotted]
    y_ticks: list[tuple[float, int]]  # (y, value)
    x_ticks: list[tuple[float, str]]  # (x, label)
    today_x: float | None
    description: str  # for screen readers and the PDF's alt text


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    today_index: int | None = None,
    width: int = 640,
    height: int = 220,
) -> LineChart:
    left, right, top, bottom = 44, 88, 14, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([v for s in series for v in s.values if v is not None] or [0])
    scale_max = _nice_ceiling(peak)
    count = max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return round(left + plot_w * i / count, 1)

    def y(value: int) -> float:
        return round(top + plot_h * (1 - value / scale_max), 1)

    plotted = []
    for s in series:
        known = [(i, v) for i, v in enumerate(s.values) if v is not None]
        if not known:
            continue
        last_i, last_v = known[-1]
        plotted.append(
            Plotted(
                label=s.label,
                style=s.style,
                points=" ".join(f"{x(i)},{y(v)}" for i, v in known),
                last_x=x(last_i),
                last_y=y(last_v),
                last_value=last_v,
            )
        )
    # Every n-th week labelled, so that labels ("14 Sep", about 48 px) never overlap.
    step = max(1, -(-len(labels) * 56 // plot_w))
    description = "; ".join(
        f"{s.label}: {s.values[-1] if s.values[-1] is not None else _last_known(s.values)}"
        for s in series
    )
    return LineChart(
        title=title,
        width=width,
        height=height,
        left=left,
        right=width - right,
        top=top,
        bottom=height - bottom,
        series=plotted,
        y_ticks=[(y(v), v) for v in _ticks(scale_max)],
        x_ticks=[(x(i), labels[i]) for i in range(0, len(labels), step)],
        today_x=x(today_index) if today_index is not None else None,
        description=_("%(title)s. Latest values: %(values)s.")
        % {"title": title, "values": description},
    )


def _last_known(values: Sequence[int | None]) -> int:
    known = [v for v in values if v is not None]
    return known[-1] if known else 0


def _nice_ceiling(value: int) -> int:
    """The top of the axis: four equal whole steps of 1, 2, 2.5 or 5 × a power of ten."""
    needed = max(1, -(-value // 4))  # the smallest step that reaches the peak in four
    magnitude = 10 ** (len(str(needed)) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        step = factor * magnitude
        if needed <= step and step == int(step):
            return 4 * int(step)
    return 4 * needed


def _ticks(scale_max: int) -> list[int]:
    return [scale_max * i // 4 for i in range(5)]


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width_pct: float
    key: str


def bars(items: Iterable[tuple[str, str, int]]) -> list[Bar]:
    """Horizontal bars (the funnel): (key, label, value) → bars scaled to the largest."""
    items = list(items)
    peak = max([value for _, _, value in items] or [0]) or 1
    return [Bar(label, value, round(100 * value / peak, 1), key) for key, label, value in items]


# --- burn-up and overdue trend -----------------------------------------------------------


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_axis(today: date) -> list[date]:
    """Mondays from WEEKS_BACK weeks ago to WEEKS_AHEAD weeks ahead."""
    this_week = _monday(today)
    return [this_week + timedelta(weeks=n) for n in range(-WEEKS_BACK, WEEKS_AHEAD + 1)]


@dataclass(frozen=True)
class Trend:
    weeks: list[date]
    planned: list[int]  # due by the end of the week (waived work left out)
    done: list[int | None]  # done by the end of the week; None for weeks still to come
    overdue: list[int | None]  # open and past due at the start of the week
    today_index: int | None


def trend_from_counts(counts: Counter, today: date, weeks: list[date]) -> Trend:
    """Build the weekly series from counts keyed by (due Monday, done Monday or None).

    Exact at week granularity: an item due in week D and done in week E is planned from
    week D on, done from week E on, and overdue at the start of every week after D up to
    and including E (or to now, when it is still open).
    """
    current = _monday(today)
    planned, done, overdue = [], [], []
    for week in weeks:
        planned.append(sum(n for (due, _), n in counts.items() if due <= week))
        if week > current:
            done.append(None)
            overdue.append(None)
            continue
        done.append(sum(n for (_, finished), n in counts.items() if finished and finished <= week))
        overdue.append(
            sum(
                n
                for (due, finished), n in counts.items()
                if due < week and (finished is None or finished >= week)
            )
        )
    today_index = weeks.index(current) if current in weeks else None
    return Trend(weeks, planned, done, overdue, today_index)


# Week numbers count from this Monday, far enough back that no date falls before it (the
# integer division then never meets a negative number).
WEEK_ORIGIN = date(2000, 1, 3)


class WeekNumber(Func):
    """Whole weeks from WEEK_ORIGIN to a date: plain integer arithmetic, which the database
    does about twice as fast as `date_trunc('week', …)` over every deliverable."""

    output_field = IntegerField()

    def __init__(self, expression):
        super().__init__(expression, Value(WEEK_ORIGIN, output_field=DateField()))

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="((%(expressions)s) / 7)", arg_joiner=" - ", **extra
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST((julianday(%(expressions)s)) / 7 AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


def _monday_of_week_number(number: int | None) -> date | None:
    return None if number is None else WEEK_ORIGIN + timedelta(weeks=number)


def portfolio_trend(pilots, today: date) -> Trend:
    """The weekly series for these pilots (ids, or a queryset of pilot pks), from one
    grouped query: deliverables counted by the week they are due and the week they were
    done (in the organisation's time zone)."""
    from pilots.models import Deliverable

    horizon = week_axis(today)[-1] + timedelta(days=6)
    grouped = (
        Deliverable.objects.filter(pilot_id__in=pilots, due_date__lte=horizon)
        .exclude(status=Deliverable.Status.WAIVED)
        .order_by()
        .values(due=WeekNumber("due_date"), finished=WeekNumber(TruncDate("done_at")))
        .annotate(n=Count("pk"))
    )
    counts = Counter()
    for row in grouped:
        key = (_monday_of_week_number(row["due"]), _monday_of_week_number(row["finished"]))
        counts[key] += row["n"]
    return trend_from_counts(counts, today, week_axis(today))


def pilot_trend(deliverables: Iterable, today: date, kickoff: date) -> Trend:
    """A pilot's weekly series over its plan, from deliverables already loaded (no query)."""
    from django.utils import timezone

    counts = Counter()
    last_due = kickoff
    for item in deliverables:
        if item.status == "waived":
            continue
        finished = _monday(timezone.localtime(item.done_at).date()) if item.done_at else None
        counts[(_monday(item.due_date), finished)] += 1
        last_due = max(last_due, item.due_date)
    first, last = _monday(kickoff), _monday(last_due)
    weeks = [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]
    return trend_from_counts(counts, today, weeks)


def burn_up_chart(trend: Trend, title: str, **size) -> LineChart:
    return line_chart(
        title,
        [ldate(week, "month_day") for week in trend.weeks],
        [
            Series(_("Planned"), trend.planned, PLANNED),
            Series(_("Done"), trend.done, DONE),
        ],
        today_index=trend.today_index,
        **size,
    )


def overdue_chart(trend: Trend, title: str, **size) -> LineChart:
    return line_chart(
        title,
        [ldate(week, "month_day") for week in trend.weeks],
        [Series(_("Overdue"), trend.overdue, OVERDUE)],
        today_index=trend.today_index,
        **size,
    )


# --- several charts as one SVG image --------------------------------------------------------

STRIP_HEADER = 42  # room above each chart for its title and legend
LEGEND_ENTRY = 110  # horizontal room for one legend entry


@dataclass(frozen=True)
class Panel:
    offset_x: int
    chart: LineChart
    legend: list[tuple[int, Plotted]]  # (x, series) under the title


@dataclass(frozen=True)
class Strip:
    """Line charts side by side, each under its title and legend: one standalone SVG
    (templates/charts/trend.svg) that a page shows as an image and a printer prints."""

    title: str
    width: int
    height: int
    header: int
    panels: list[Panel]


def strip(title: str, charts: Sequence[LineChart]) -> Strip:
    panels, offset = [], 0
    for chart in charts:
        legend = [(chart.left + i * LEGEND_ENTRY, s) for i, s in enumerate(chart.series)]
        panels.append(Panel(offset, chart, legend))
        offset += chart.width
    height = STRIP_HEADER + max((chart.height for chart in charts), default=0)
    return Strip(title, offset, height, STRIP_HEADER, panels)
