"""The Intake tab: the five decisions before day 1, the readiness meter, the 12-month cost
lines and the launch (with the programme manager's override when decisions are open).

The intake form saves under the pilot's version: an edit based on an older page is
refused with 409 and the current answers. Cost lines are added and removed with htmx
(the cost table and, out of band, the meter), or by plain POST and a redirect.
"""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from pilots import intake, intake_services
from pilots.access import (
    can_edit_pilot,
    can_override_launch,
    get_pilot_for_edit,
    get_pilot_for_user,
)
from pilots.intake_forms import CostLineForm, IntakeForm, LaunchForm
from pilots.models import Pilot
from pilots.services import ChangeRefused, StalePilotEdit
from pilots.value_models import CostLine

PAGE = "pilots/intake.html"


def _pilot(user, pk: int, *, edit: bool) -> Pilot:
    queryset = Pilot.objects.select_related(
        "playbook", "sponsor", "production_owner", "programme_manager", "intake"
    )
    return (get_pilot_for_edit if edit else get_pilot_for_user)(user, pk, queryset)


def _initial(pilot: Pilot) -> dict:
    row = intake.intake_of(pilot)
    initial = {name: getattr(pilot, name) for name in intake_services.PILOT_FIELDS}
    initial.update(
        {
            name: getattr(row, name)
            for name in (
                "governance_engaged_on",
                "governance_engaged_with",
                "governance_early_read",
                "expected_yearly_benefit",
                "workforce_plan",
                "expected_scale",
                "integrations",
                "acceptable_error_rate",
                "known_shortcuts",
            )
        }
    )
    initial["version"] = pilot.version
    return initial


def intake_context(request: HttpRequest, pilot: Pilot, **extra) -> dict:
    """Everything the Intake tab shows, in a fixed number of queries."""
    lines = list(CostLine.objects.filter(pilot=pilot).order_by("category", "pk"))
    costs = intake.CostFacts(
        lines=len(lines), total=sum((line.annual_cost for line in lines), Decimal(0))
    )
    row = intake.intake_of(pilot)
    editable = can_edit_pilot(request.user, pilot)
    context = {
        "pilot": pilot,
        "tab": "intake",
        "intake": row,
        "readiness": intake.readiness(pilot, row, costs),
        "cost_lines": lines,
        "cost_total": costs.total,
        "can_edit": editable,
        "can_override": can_override_launch(request.user, pilot),
        "form": IntakeForm(initial=_initial(pilot)) if editable else None,
        "cost_form": CostLineForm() if editable else None,
        "launch_form": LaunchForm(),
        "override": intake.override_summary(intake.latest_override(pilot)),
    }
    context.update(extra)
    return context


@login_required
@require_http_methods(["GET", "POST"])
def intake_page(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "GET":
        pilot = _pilot(request.user, pk, edit=False)
        return render(request, PAGE, intake_context(request, pilot))
    pilot = _pilot(request.user, pk, edit=True)
    form = IntakeForm(request.POST, initial=_initial(pilot))
    if not form.is_valid():
        return render(request, PAGE, intake_context(request, pilot, form=form), status=400)
    data = form.cleaned_data
    answers = intake_services.IntakeAnswers(
        **{name: data[name] for name in intake_services.IntakeAnswers.__dataclass_fields__}
    )
    try:
        intake_services.intake_update(
            pilot=pilot, expected_version=data["version"], answers=answers, actor=request.user
        )
    except StalePilotEdit as exc:
        # Show what the pilot holds now, so the change can be made again knowingly.
        fresh = _pilot(request.user, pk, edit=True)
        context = intake_context(request, fresh, conflict=str(exc))
        return render(request, PAGE, context, status=409)
    messages.success(request, _("Intake answers saved."))
    return redirect("pilot-intake", pk=pk)


def render_launch_errors(request: HttpRequest, pk: int, launch_form: LaunchForm) -> HttpResponse:
    """The Intake tab with the launch form's errors (a reason too long, a NUL character)."""
    pilot = _pilot(request.user, pk, edit=True)
    context = intake_context(request, pilot, launch_form=launch_form)
    return render(request, PAGE, context, status=400)


def _costs_response(request: HttpRequest, pilot: Pilot, status: int = 200, **extra):
    pilot = _pilot(request.user, pilot.pk, edit=True)
    context = intake_context(request, pilot, **extra)
    return render(request, f"{PAGE}#cost-response", context, status=status)


@login_required
@require_POST
def cost_line_add(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = _pilot(request.user, pk, edit=True)
    form = CostLineForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return _costs_response(request, pilot, 422, cost_form=form)
        return render(request, PAGE, intake_context(request, pilot, cost_form=form), status=400)
    try:
        intake_services.cost_line_add(pilot=pilot, actor=request.user, **form.cleaned_data)
    except ChangeRefused as exc:
        form.add_error(None, str(exc))
        if request.htmx:
            return _costs_response(request, pilot, 422, cost_form=form)
        return render(request, PAGE, intake_context(request, pilot, cost_form=form), status=400)
    if request.htmx:
        return _costs_response(request, pilot)
    messages.success(request, _("Cost line added."))
    return redirect(f"{reverse('pilot-intake', args=[pk])}#costs")


@login_required
@require_POST
def cost_line_remove(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    pilot = _pilot(request.user, pk, edit=True)
    if not CostLine.objects.filter(pilot=pilot, pk=line_pk).exists():
        raise Http404("No such cost line in this pilot")
    try:
        intake_services.cost_line_remove(pilot=pilot, line_pk=line_pk, actor=request.user)
    except ChangeRefused as exc:
        messages.error(request, str(exc))
    if request.htmx:
        return _costs_response(request, pilot)
    messages.success(request, _("Cost line removed."))
    return redirect(f"{reverse('pilot-intake', args=[pk])}#costs")
