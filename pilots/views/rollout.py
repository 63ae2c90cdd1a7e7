"""The Rollout tab: the phased rollout's steps (edit, add, remove, go/no-go) and the
go-live decision with the operating details it records.

A step is edited inside its row with htmx (the row is swapped for its form and back);
without JavaScript the same form is a page of its own. Decisions and go-live are plain
POSTs with a redirect back.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilots import rollout
from pilots.access import can_edit_pilot, get_pilot_for_edit, get_pilot_for_user
from pilots.intake_forms import GoLiveForm, ReviewForm, RolloutDecisionForm, RolloutStepForm
from pilots.intake_models import RolloutDecision, RolloutStep
from pilots.models import Deliverable, Pilot
from pilots.services import ChangeRefused
from pilots.templatetags.ninety import ldate
from playbook.models import DeliverableKind

PAGE = "pilots/rollout.html"


def _queryset():
    return Pilot.objects.select_related(
        "playbook", "production_owner", "operation", "operation__operating_owner"
    )


def _step(pilot: Pilot, step_pk: int) -> RolloutStep:
    step = RolloutStep.objects.filter(pilot=pilot, pk=step_pk).select_related("decided_by").first()
    if step is None:
        raise Http404("No such rollout step in this pilot")
    step.pilot = pilot
    return step


def rollout_context(request: HttpRequest, pilot: Pilot, **extra) -> dict:
    """Everything the Rollout tab shows, in a fixed number of queries."""
    steps = list(pilot.rollout_steps.select_related("decided_by"))
    run = rollout.scale_run(pilot)
    checks = []
    if run is not None:
        checks = list(
            Deliverable.objects.filter(phase_run=run, kind=DeliverableKind.READINESS_CHECK)
            .select_related("owner")
            .order_by("order", "pk")
        )
    editable = can_edit_pilot(request.user, pilot)
    # Go/no-go is offered on the next step in line only: a step goes after those before.
    next_step = next((step for step in steps if step.decision != RolloutDecision.GO), None)
    for step in steps:
        step.pilot = pilot
        step.decidable = step is next_step
        step.decide_form = RolloutDecisionForm(auto_id=f"step-{step.pk}-%s")
    try:
        operation = pilot.operation
    except Pilot.operation.RelatedObjectDoesNotExist:
        operation = None
    open_checks = [check.title for check in checks if check.is_open]
    blockers = rollout.blockers_of(pilot, run, open_checks)
    context = {
        "pilot": pilot,
        "tab": "rollout",
        "steps": steps,
        "scale_run": run,
        "checks": checks,
        "checks_closed": sum(not check.is_open for check in checks),
        "can_edit": editable,
        "operation": operation,
        "blockers": blockers,
        "add_form": RolloutStepForm(
            initial={"planned_on": timezone.localdate(), "percent_from": 100, "percent_to": 100}
        ),
        "go_live_form": GoLiveForm(initial={"operating_owner": pilot.production_owner}),
        "decide_step": None,
        "review_form": ReviewForm(),
        "can_review": operation is not None
        and (editable or operation.operating_owner_id == request.user.pk),
        "today": timezone.localdate(),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def rollout_page(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_user(request.user, pk, _queryset())
    return render(request, PAGE, rollout_context(request, pilot))


def _back(pk: int, step_pk: int | None = None):
    anchor = f"#step-{step_pk}" if step_pk else "#rollout"
    return redirect(f"{reverse('pilot-rollout', args=[pk])}{anchor}")


@login_required
@require_POST
def rollout_defaults(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_edit(request.user, pk)
    try:
        rollout.rollout_defaults_add(pilot=pilot, actor=request.user)
    except ChangeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Default rollout steps added. Adjust their dates to your plan.")
        )
    return _back(pk)


@login_required
@require_POST
def step_add(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_edit(request.user, pk, _queryset())
    form = RolloutStepForm(request.POST)
    if form.is_valid():
        try:
            step = rollout.rollout_step_add(pilot=pilot, actor=request.user, **form.cleaned_data)
        except ChangeRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Step “%(label)s” added.") % {"label": step.label})
            return _back(pk, step.pk)
    context = rollout_context(request, pilot, add_form=form)
    return render(request, PAGE, context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def step_edit(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    pilot = get_pilot_for_edit(request.user, pk, _queryset())
    step = _step(pilot, step_pk)
    initial = {
        "label": step.label,
        "percent_from": step.percent_from,
        "percent_to": step.percent_to,
        "planned_on": step.planned_on,
    }
    form = RolloutStepForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        auto_id=f"edit-{step.pk}-%s",
    )
    status = 200
    if request.method == "POST":
        status = 422 if request.htmx else 400
        if form.is_valid():
            try:
                step = rollout.rollout_step_update(
                    step=step, actor=request.user, **form.cleaned_data
                )
            except ChangeRefused as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                if not request.htmx:
                    messages.success(request, _("Step “%(label)s” saved.") % {"label": step.label})
                    return _back(pk, step.pk)
                step = _step(pilot, step_pk)
                step.decide_form = RolloutDecisionForm(auto_id=f"step-{step.pk}-%s")
                waiting = pilot.rollout_steps.filter(order__lt=step.order).exclude(
                    decision=RolloutDecision.GO
                )
                step.decidable = step.decision != RolloutDecision.GO and not waiting.exists()
                context = {"pilot": pilot, "step": step, "can_edit": True}
                return render(request, f"{PAGE}#step-row", context)
    context = {"pilot": pilot, "step": step, "form": form, "can_edit": True, "tab": "rollout"}
    template = f"{PAGE}#step-edit-row" if request.htmx else "pilots/rollout_step_form.html"
    return render(request, template, context, status=status)


@login_required
@require_POST
def step_decide(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    pilot = get_pilot_for_edit(request.user, pk, _queryset())
    step = _step(pilot, step_pk)
    form = RolloutDecisionForm(request.POST, auto_id=f"step-{step.pk}-%s")
    if not form.is_valid():
        context = rollout_context(request, pilot, decide_step=step.pk, decide_form=form)
        for row in context["steps"]:
            if row.pk == step.pk:
                row.decide_form = form
        return render(request, PAGE, context, status=400)
    try:
        rollout.rollout_step_decide(step=step, actor=request.user, **form.cleaned_data)
    except ChangeRefused as exc:
        messages.error(request, str(exc))
    else:
        if form.cleaned_data["decision"] == "go":
            text = _("Go recorded for “%(label)s”.")
        else:
            text = _("No-go recorded for “%(label)s”.")
        messages.success(request, text % {"label": step.label})
    return _back(pk, step.pk)


@login_required
@require_POST
def step_remove(request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
    pilot = get_pilot_for_edit(request.user, pk)
    step = _step(pilot, step_pk)
    try:
        rollout.rollout_step_remove(step=step, actor=request.user)
    except ChangeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Step “%(label)s” removed.") % {"label": step.label})
    return _back(pk)


@login_required
@require_POST
def go_live(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_edit(request.user, pk, _queryset())
    form = GoLiveForm(request.POST)
    if not form.is_valid():
        return render(request, PAGE, rollout_context(request, pilot, go_live_form=form), status=400)
    data = form.cleaned_data
    details = rollout.OperatingDetails(
        operating_owner=data["operating_owner"],
        runbook_url=data["runbook_url"],
        support_model=data["support_model"],
        on_call_contact=data["on_call_contact"],
        review_cadence=data["review_cadence"],
    )
    try:
        rollout.pilot_go_live(
            pilot=pilot, details=details, rationale=data["rationale"], actor=request.user
        )
    except ChangeRefused as exc:
        form.add_error(None, str(exc))
        context = rollout_context(request, pilot, go_live_form=form)
        return render(request, PAGE, context, status=409)
    messages.success(request, _("%(reference)s is in production.") % {"reference": pilot.reference})
    return redirect("pilot-detail", pk=pk)


@login_required
@require_POST
def operation_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a review of a pilot in production: its programme manager or its operating
    owner."""
    pilot = get_pilot_for_user(request.user, pk, _queryset())
    try:
        operating_owner_id = pilot.operation.operating_owner_id
    except Pilot.operation.RelatedObjectDoesNotExist:
        operating_owner_id = None
    if not (can_edit_pilot(request.user, pilot) or operating_owner_id == request.user.pk):
        raise PermissionDenied(_("The programme manager or the operating owner records reviews."))
    form = ReviewForm(request.POST)
    if not form.is_valid():
        context = rollout_context(request, pilot, review_form=form)
        return render(request, PAGE, context, status=400)
    try:
        operation = rollout.operation_review_record(
            pilot=pilot, notes=form.cleaned_data["notes"], actor=request.user
        )
    except ChangeRefused as exc:
        messages.error(request, str(exc))
        return redirect("pilot-rollout", pk=pk)
    messages.success(
        request,
        _("Review recorded. The next one is due %(date)s.")
        % {"date": ldate(operation.next_review_on, "date_long")},
    )
    return redirect("pilot-rollout", pk=pk)
