"""The Value tab: readings of the success metric, their chart against baseline and
target, the gap to target and the business case.

Recording a reading answers htmx with the whole panel (stats, chart, readings), since a
reading moves all of them; a plain POST gets a redirect back.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pilots import intake, value
from pilots.access import (
    can_edit_pilot,
    can_record_readings,
    get_pilot_for_readings,
    get_pilot_for_user,
)
from pilots.intake_forms import KpiReadingForm
from pilots.models import Pilot
from pilots.services import ChangeRefused
from pilots.value_models import CostLine, KpiReading

PAGE = "pilots/value.html"


def _queryset():
    return value.with_latest_reading(
        Pilot.objects.select_related("playbook", "intake", "production_owner")
    )


def value_context(request: HttpRequest, pilot: Pilot, **extra) -> dict:
    """Everything the Value tab shows, in a fixed number of queries."""
    today = timezone.localdate()
    readings = list(
        KpiReading.objects.filter(pilot=pilot)
        .select_related("recorded_by")
        .order_by("-taken_on", "-pk")
    )
    running_cost = CostLine.objects.filter(pilot=pilot).aggregate(total=Sum("annual_cost"))["total"]
    expected = intake.intake_of(pilot).expected_yearly_benefit
    gap = value.pilot_gap(pilot)
    may_record = can_record_readings(request.user, pilot)
    editable = can_edit_pilot(request.user, pilot)
    for reading in readings:
        reading.removable = editable or (may_record and reading.recorded_by_id == request.user.pk)
    context = {
        "pilot": pilot,
        "tab": "value",
        "today": today,
        "readings": readings,
        "gap": gap,
        "chart": value.kpi_chart(pilot, readings, today),
        "case": value.business_case(running_cost=running_cost, expected_benefit=expected, gap=gap),
        "can_record": may_record and bool(pilot.success_metric),
        "may_record": may_record,
        "form": KpiReadingForm(initial={"taken_on": today}),
        "negative": any(r.value < 0 for r in readings),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def value_page(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_user(request.user, pk, _queryset())
    return render(request, PAGE, value_context(request, pilot))


def _panel(request: HttpRequest, pk: int, status: int = 200, **extra) -> HttpResponse:
    pilot = get_pilot_for_user(request.user, pk, _queryset())
    template = f"{PAGE}#value-panel" if request.htmx else PAGE
    return render(request, template, value_context(request, pilot, **extra), status=status)


@login_required
@require_POST
def reading_add(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_readings(request.user, pk)
    form = KpiReadingForm(request.POST)
    if form.is_valid():
        try:
            value.kpi_record(pilot=pilot, actor=request.user, **form.cleaned_data)
        except ChangeRefused as exc:
            form.add_error(None, str(exc))
        else:
            if request.htmx:
                return _panel(request, pk, message=_("Reading recorded."))
            messages.success(request, _("Reading recorded."))
            return redirect(f"{reverse('pilot-value', args=[pk])}#readings")
    return _panel(request, pk, 422 if request.htmx else 400, form=form)


@login_required
@require_POST
def reading_remove(request: HttpRequest, pk: int, reading_pk: int) -> HttpResponse:
    pilot = get_pilot_for_readings(request.user, pk)
    reading = KpiReading.objects.filter(pilot=pilot, pk=reading_pk).first()
    if reading is None:
        raise Http404("No such reading in this pilot")
    if not (can_edit_pilot(request.user, pilot) or reading.recorded_by_id == request.user.pk):
        raise PermissionDenied(
            _("Only whoever recorded a reading, or the programme manager, removes it.")
        )
    try:
        value.kpi_remove(pilot=pilot, reading=reading, actor=request.user)
    except ChangeRefused as exc:
        messages.error(request, str(exc))
    if request.htmx:
        return _panel(request, pk, message=_("Reading removed."))
    messages.success(request, _("Reading removed."))
    return redirect(f"{reverse('pilot-value', args=[pk])}#readings")
