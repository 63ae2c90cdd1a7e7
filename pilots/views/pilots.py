"""Pilot pages: the list, creation and launch, editing, and the pilot page itself."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilots import charts, header, intake, services
from pilots.access import (
    can_create_pilot,
    can_edit_pilot,
    get_pilot_for_edit,
    get_pilot_for_user,
    visible_pilots,
)
from pilots.forms import BulkAssignForm, PilotFilterForm, PilotForm
from pilots.intake_forms import LaunchForm
from pilots.models import Deliverable, Evidence, Pilot, attach_evidence
from pilots.plan import build_plan, day_label, mark_row, progress_plan
from pilots.roles import Role, reads_every_pilot, role_names
from pilots.row_links import pilot_page_links
from pilots.templatetags.ninety import ldate
from pilots.views import intake as intake_views

PILOTS_PER_PAGE = 25


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Leadership lands on the portfolio, the programme office on the pilot list, everyone
    else on their own work."""
    if Role.LEADERSHIP in role_names(request.user):
        return redirect("portfolio")
    if reads_every_pilot(request.user):
        return redirect("pilot-list")
    return redirect("my-work")


@login_required
@require_GET
def pilot_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    visible = visible_pilots(request.user)
    business_units = list(
        visible.order_by("business_unit").values_list("business_unit", flat=True).distinct()
    )
    form = PilotFilterForm(request.GET or None, business_units=business_units)
    pilots = visible.for_list(today)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            pilots = pilots.filter(
                Q(name__icontains=data["q"])
                | Q(reference__icontains=data["q"])
                | Q(problem__icontains=data["q"])
                | Q(business_unit__icontains=data["q"])
            )
        if data["status"]:
            pilots = pilots.filter(status=data["status"])
        if data["phase"]:
            pilots = pilots.filter(current_phase_number=data["phase"], status=Pilot.Status.ACTIVE)
        if data["business_unit"]:
            pilots = pilots.filter(business_unit=data["business_unit"])
    page = Paginator(pilots, PILOTS_PER_PAGE).get_page(request.GET.get("page"))
    for pilot in page:
        pilot.day_text = day_label(pilot, today)
        pilot.percent_closed = (
            round(100 * pilot.closed_count / pilot.total_count) if pilot.total_count else 0
        )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = "pilots/list.html#results" if request.htmx else "pilots/list.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def pilot_create(request: HttpRequest) -> HttpResponse:
    if not can_create_pilot(request.user):
        raise PermissionDenied(_("Only programme managers create pilots."))
    form = PilotForm(
        request.POST if request.method == "POST" else None,
        initial={"programme_manager": request.user},
    )
    if request.method == "POST" and form.is_valid():
        pilot = services.pilot_create(**form.cleaned_data, actor=request.user)
        messages.success(
            request,
            _("%(reference)s created. Launch it to generate its plan.")
            % {"reference": pilot.reference},
        )
        return redirect("pilot-detail", pk=pilot.pk)
    return render(
        request,
        "pilots/form.html",
        {"form": form, "pilot": None},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def pilot_edit(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_edit(request.user, pk)
    form = PilotForm(request.POST if request.method == "POST" else None, instance=pilot)
    status, conflict = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            changed.pop("version", None)
            try:
                # The service re-reads the pilot under a lock: validating the ModelForm
                # already wrote the new values onto `pilot`.
                services.pilot_update(
                    pilot=pilot,
                    expected_version=form.cleaned_data["version"],
                    actor=request.user,
                    **changed,
                )
            except services.StalePilotEdit as exc:
                # Show what the pilot holds now, with its new version, so the user can
                # redo the change knowingly rather than overwrite the other one.
                pilot = exc.current
                form = PilotForm(instance=pilot)
                status, conflict = 409, str(exc)
            except services.ChangeRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Pilot updated."))
                return redirect("pilot-detail", pk=pilot.pk)
    context = {"form": form, "pilot": pilot, "conflict": conflict}
    return render(request, "pilots/form.html", context, status=status)


@login_required
@require_POST
def pilot_launch(request: HttpRequest, pk: int) -> HttpResponse:
    """Launch; before every intake decision is answered, only with the programme
    manager's written reason. A refusal goes back to the Intake tab, where the meter
    shows what is open."""
    pilot = get_pilot_for_edit(request.user, pk)
    form = LaunchForm(request.POST)
    if not form.is_valid():
        return intake_views.render_launch_errors(request, pk, form)
    try:
        pilot = services.pilot_launch(
            pilot=pilot, actor=request.user, override_reason=form.cleaned_data["override_reason"]
        )
    except services.ChangeRefused as exc:
        messages.error(request, str(exc))
        return redirect("pilot-intake", pk=pk)
    count = pilot.deliverables.count()
    messages.success(
        request,
        ngettext(
            "Launched: %(count)s deliverable planned from %(date)s.",
            "Launched: %(count)s deliverables planned from %(date)s.",
            count,
        )
        % {"count": count, "date": ldate(pilot.kickoff_date, "date_long")},
    )
    return redirect("pilot-detail", pk=pk)


def pilot_page_context(request: HttpRequest, pilot: Pilot) -> dict:
    """Everything the pilot page and its fragments show; a fixed number of queries."""
    today = timezone.localdate()
    runs = list(pilot.phase_runs.select_related("phase"))
    deliverables = attach_evidence(
        list(Deliverable.objects.for_pilot_page(pilot)),
        Evidence.objects.filter(deliverable__pilot=pilot),
    )
    editable = can_edit_pilot(request.user, pilot)
    links = pilot_page_links(pilot.pk)
    for deliverable in deliverables:
        deliverable.pilot = pilot
        tickable = editable or deliverable.owner_id == request.user.pk
        mark_row(deliverable, today, tickable=tickable, links=links)
    return {
        "pilot": pilot,
        "plan": build_plan(runs, deliverables, today),
        "day_text": day_label(pilot, today),
        "can_edit": editable,
        "today": today,
    }


def pilot_row_context(request: HttpRequest, pilot: Pilot, deliverable_pk: int) -> dict:
    """What a tick's answer shows: the changed row and the progress bars it moved. Four
    queries, and none of the other rows: a tick no longer costs a pilot page."""
    today = timezone.localdate()
    row = Deliverable.objects.for_pilot_page(pilot).get(pk=deliverable_pk)
    attach_evidence([row], Evidence.objects.filter(deliverable=row))
    row.pilot = pilot
    editable = can_edit_pilot(request.user, pilot)
    tickable = editable or row.owner_id == request.user.pk
    mark_row(row, today, tickable=tickable, links=pilot_page_links(pilot.pk))
    counts = Deliverable.objects.filter(pilot=pilot).progress_by_phase(today)
    plan = progress_plan(pilot.phase_runs.all(), counts, today)
    return {
        "pilot": pilot,
        "plan": plan,
        "block": next(b for b in plan.phases if b.run.pk == row.phase_run_id),
        "deliverable": row,
        "can_edit": editable,
        "today": today,
    }


@login_required
@require_GET
def pilot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_user(
        request.user,
        pk,
        Pilot.objects.select_related(
            "playbook", "sponsor", "production_owner", "programme_manager"
        ),
    )
    context = pilot_page_context(request, pilot)
    context.update(header.header_facts(pilot))
    if not pilot.is_launched:
        context["readiness"] = intake.readiness(pilot)
    if pilot.is_launched:
        loaded = context["plan"].all_deliverables
        trend = charts.pilot_trend(loaded, context["today"], pilot.kickoff_date)
        context["burn_up"] = charts.burn_up_chart(
            trend, _("Deliverables planned and done, week by week"), width=920, height=220
        )
    if context["can_edit"]:
        context["assign_form"] = BulkAssignForm(pilot=pilot)
    return render(request, "pilots/detail.html", context)
