"""What a pilot is worth: readings of its success metric over time, the gap to its
target, the chart of both, and the business case (a year of running cost against the
expected and the measured benefit).

The business case, in the terms the Value tab shows:
- running cost: the sum of the 12-month cost lines of the intake;
- expected benefit: the yearly benefit the intake expects when the target is reached;
- measured benefit: the expected benefit in proportion to the way travelled from the
  baseline towards the target by the latest reading (none below the baseline): the
  metric is the measure of the benefit, so half the way is taken as half the benefit;
- payback: the months of benefit that pay for a year of running it, 12 × cost ÷ benefit.
  More than 12 months means the benefit does not cover the running cost.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext

from pilots import charts
from pilots.models import Pilot
from pilots.services import ChangeRefused
from pilots.signals import announce
from pilots.templatetags.ninety import ldate
from pilots.value_models import KpiReading

# Readings take two decimals; the chart works in whole numbers of hundredths so that its
# geometry is exact, and labels its axis back in the metric's own unit.
CHART_SCALE = 100
CHART_MAX_WEEKS = 104
BASELINE = charts.Style("#667085", "2 3")
TARGET = charts.Style("#067647", "6 4")
READINGS = charts.Style("#3538cd")


@dataclass(frozen=True)
class Gap:
    latest: Decimal
    taken_on: date
    target: Decimal
    remaining: Decimal  # how far the latest reading is from the target, in the metric's unit
    reached: bool
    progress: int | None  # percent of the way from the baseline to the target


def gap_to_target(
    *,
    baseline: Decimal | None,
    target: Decimal | None,
    latest: Decimal | None,
    taken_on: date | None = None,
) -> Gap | None:
    """How far the latest reading is from the target; None without a target or a reading.
    The direction comes from baseline → target: a target below the baseline is reached
    by going down."""
    if target is None or latest is None:
        return None
    downwards = baseline is not None and target < baseline
    reached = latest <= target if downwards else latest >= target
    progress = None
    if baseline is not None and target != baseline:
        progress = int(((latest - baseline) / (target - baseline) * 100).to_integral_value())
    return Gap(
        latest=latest,
        taken_on=taken_on,
        target=target,
        remaining=Decimal(0) if reached else abs(target - latest),
        reached=reached,
        progress=progress,
    )


def with_latest_reading(pilots: models.QuerySet) -> models.QuerySet:
    """Annotate each pilot with its latest reading (`latest_value`, `latest_taken_on`)."""
    latest = KpiReading.objects.filter(pilot=OuterRef("pk")).order_by("-taken_on", "-pk")
    return pilots.annotate(
        latest_value=Subquery(latest.values("value")[:1]),
        latest_taken_on=Subquery(latest.values("taken_on")[:1]),
    )


def latest_gap(pilot: Pilot) -> Gap | None:
    """The gap of a pilot not read through `with_latest_reading`: one query, and none
    for a pilot without a target."""
    if pilot.success_target is None:
        return None
    latest = (
        KpiReading.objects.filter(pilot=pilot)
        .order_by("-taken_on", "-pk")
        .values_list("value", "taken_on")
        .first()
    )
    if latest is None:
        return None
    return gap_to_target(
        baseline=pilot.success_baseline,
        target=pilot.success_target,
        latest=latest[0],
        taken_on=latest[1],
    )


def pilot_gap(pilot: Pilot) -> Gap | None:
    """The gap of a pilot annotated by `with_latest_reading`."""
    return gap_to_target(
        baseline=pilot.success_baseline,
        target=pilot.success_target,
        latest=pilot.latest_value,
        taken_on=pilot.latest_taken_on,
    )


# --- the business case -------------------------------------------------------------------


@dataclass(frozen=True)
class BusinessCase:
    running_cost: Decimal | None
    expected_benefit: Decimal | None
    measured_benefit: Decimal | None

    @property
    def expected_payback(self) -> Decimal | None:
        return payback_months(self.running_cost, self.expected_benefit)

    @property
    def measured_payback(self) -> Decimal | None:
        return payback_months(self.running_cost, self.measured_benefit)

    @property
    def expected_net(self) -> Decimal | None:
        return _net(self.expected_benefit, self.running_cost)

    @property
    def measured_net(self) -> Decimal | None:
        return _net(self.measured_benefit, self.running_cost)


def _net(benefit: Decimal | None, cost: Decimal | None) -> Decimal | None:
    return None if benefit is None or cost is None else benefit - cost


def payback_months(cost: Decimal | None, yearly_benefit: Decimal | None) -> Decimal | None:
    """Months of benefit that pay for a year of running: 12 × cost ÷ yearly benefit, to
    one decimal. None when there is no cost or no benefit to divide by."""
    if cost is None or not yearly_benefit or yearly_benefit <= 0:
        return None
    return (12 * cost / yearly_benefit).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def measured_benefit(expected: Decimal | None, gap: Gap | None) -> Decimal | None:
    if expected is None or gap is None or gap.progress is None:
        return None
    share = max(Decimal(gap.progress), Decimal(0)) / 100
    return (expected * share).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def business_case(
    *, running_cost: Decimal | None, expected_benefit: Decimal | None, gap: Gap | None
) -> BusinessCase:
    return BusinessCase(
        running_cost=running_cost,
        expected_benefit=expected_benefit,
        measured_benefit=measured_benefit(expected_benefit, gap),
    )


# --- the chart -----------------------------------------------------------------------------


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def kpi_chart(pilot: Pilot, readings: list[KpiReading], today: date) -> charts.LineChart | None:
    """Baseline, target and readings week by week (the last reading of each week), from
    the kickoff (or the first reading, if earlier) to the target date (or today, or the
    last reading, if later). None when there is nothing to draw or a value is negative
    (the chart's axis starts at zero)."""
    values = [r.value for r in readings]
    levels = [v for v in (pilot.success_baseline, pilot.success_target) if v is not None]
    if not values and not levels:
        return None
    if any(v < 0 for v in [*values, *levels]):
        return None
    days = [r.taken_on for r in readings]
    first = min([pilot.kickoff_date, *days])
    last = max([today, *days, *([pilot.success_target_date] if pilot.success_target_date else [])])
    start = _monday(first)
    count = min((_monday(last) - start).days // 7 + 1, CHART_MAX_WEEKS)
    weeks = [start + timedelta(weeks=n) for n in range(max(count, 2))]

    def scaled(value: Decimal) -> int:
        return int((value * CHART_SCALE).to_integral_value(rounding=ROUND_HALF_UP))

    by_week: dict[int, int] = {}
    for reading in sorted(readings, key=lambda r: (r.taken_on, r.pk)):
        index = (_monday(reading.taken_on) - start).days // 7
        if 0 <= index < len(weeks):
            by_week[index] = scaled(reading.value)
    series = []
    if pilot.success_baseline is not None:
        series.append(
            charts.Series(
                gettext("Baseline"), [scaled(pilot.success_baseline)] * len(weeks), BASELINE
            )
        )
    if pilot.success_target is not None:
        series.append(
            charts.Series(gettext("Target"), [scaled(pilot.success_target)] * len(weeks), TARGET)
        )
    if by_week:
        series.append(
            charts.Series(
                gettext("Readings"), [by_week.get(i) for i in range(len(weeks))], READINGS
            )
        )
    this_week = _monday(today)
    chart = charts.line_chart(
        pilot.success_metric or gettext("Success metric"),
        [ldate(week, "month_day") for week in weeks],
        series,
        today_index=weeks.index(this_week) if this_week in weeks else None,
        width=920,
        height=240,
    )
    return _in_units(chart)


def _unscaled(value: int) -> str:
    """The value as the chart shows it: 2.5 (2,5 in Dutch and German), never 2.50."""
    number = (Decimal(value) / CHART_SCALE).normalize()
    return formats.number_format(number)


def _in_units(chart: charts.LineChart) -> charts.LineChart:
    """The chart with its numbers shown in the metric's unit instead of hundredths."""
    series = [replace(s, last_value=_unscaled(s.last_value)) for s in chart.series]
    latest = "; ".join(f"{s.label}: {s.last_value}" for s in series)
    return replace(
        chart,
        series=series,
        y_ticks=[(y, _unscaled(value)) for y, value in chart.y_ticks],
        description=gettext("%(title)s. Latest values: %(values)s.")
        % {"title": chart.title, "values": latest},
    )


# --- writers -------------------------------------------------------------------------------


def kpi_record(
    *, pilot: Pilot, taken_on: date, value: Decimal, note: str = "", actor=None
) -> KpiReading:
    """Record a reading of the pilot's success metric."""
    if not pilot.success_metric.strip():
        raise ChangeRefused(
            gettext("Name the success metric on the Intake tab before recording readings.")
        )
    if taken_on > timezone.localdate():
        raise ChangeRefused(gettext("A reading cannot be dated in the future."))
    with transaction.atomic():
        reading = KpiReading.objects.create(
            pilot=pilot, taken_on=taken_on, value=value, note=note.strip(), recorded_by=actor
        )
        announce(
            actor=actor,
            verb="kpi.recorded",
            target=reading,
            pilot=pilot,
            after={
                "metric": pilot.success_metric,
                "taken_on": taken_on.isoformat(),
                "value": str(value),
                "note": reading.note,
            },
        )
    return reading


def kpi_remove(*, pilot: Pilot, reading: KpiReading, actor=None) -> None:
    """Remove a reading entered by mistake; the audit trail keeps what it said."""
    with transaction.atomic():
        deleted, _ = KpiReading.objects.filter(pk=reading.pk, pilot=pilot).delete()
        if not deleted:
            raise ChangeRefused(gettext("That reading was already removed."))
        announce(
            actor=actor,
            verb="kpi.removed",
            target=reading,
            pilot=pilot,
            before={
                "taken_on": reading.taken_on.isoformat(),
                "value": str(reading.value),
                "note": reading.note,
                "recorded_by": reading.recorded_by_id,
            },
        )
