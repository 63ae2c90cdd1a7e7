"""The triage of running pilots, and a pilot's Decisions tab (pause, stop, resume, and
the log of every decision taken about it).

Triage answers htmx with the pilot's row as it now stands; a plain POST gets a redirect
back to the list. The Decisions tab's forms are plain POSTs.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilots import decisions, intake
from pilots.access import can_edit_pilot, get_pilot_for_edit, get_pilot_for_user, visible_pilots
from pilots.intake_forms import DecisionForm, TriageForm
from pilots.intake_models import DecisionKind
from pilots.models import Pilot
from pilots.plan import day_label
from pilots.services import ChangeRefused

TRIAGE_PAGE = "pilots/triage.html"
# The summary counts a running pilot as triaged when its last triage is this recent.
TRIAGED_WITHIN_DAYS = 90


def _triage_row(pilot: Pilot, user, today, form: TriageForm | None = None) -> Pilot:
    """Give a `for_triage` pilot what its row shows."""
    pilot.answers = intake.triage_answers(
        pilot, cost_lines=pilot.cost_line_count, intake_row=intake.intake_of(pilot)
    )
    pilot.unanswered = [key for key, given in pilot.answers.items() if not given]
    pilot.can_decide = can_edit_pilot(user, pilot) and pilot.status == Pilot.Status.ACTIVE
    pilot.day_text = day_label(pilot, today)
    pilot.form = form or TriageForm(auto_id=f"triage-{pilot.pk}-%s")
    if pilot.last_triage_kind:
        pilot.last_triage_label = DecisionKind(pilot.last_triage_kind).label
    return pilot


def triage_rows(user) -> tuple[list[Pilot], list[Pilot]]:
    """The running pilots to triage and the paused ones (to resume or stop), in one query."""
    today = timezone.localdate()
    pilots = intake.for_triage(
        visible_pilots(user).filter(Q(status=Pilot.Status.ACTIVE) | Q(status=Pilot.Status.PAUSED))
    ).order_by("reference")
    running, paused = [], []
    for pilot in pilots:
        (running if pilot.status == Pilot.Status.ACTIVE else paused).append(
            _triage_row(pilot, user, today)
        )
    return running, paused


def _triage_context(user, form_for: tuple[int, TriageForm] | None = None) -> dict:
    running, paused = triage_rows(user)
    if form_for:
        for row in running:
            if row.pk == form_for[0]:
                row.form = form_for[1]
    recent = timezone.now() - timedelta(days=TRIAGED_WITHIN_DAYS)
    return {
        "running": running,
        "paused": paused,
        "questions": intake.TriageQuestion,
        "triaged_within_days": TRIAGED_WITHIN_DAYS,
        "summary": {
            "running": len(running),
            "complete": sum(not p.unanswered for p in running),
            "incomplete": sum(bool(p.unanswered) for p in running),
            "triaged": sum(bool(p.last_triage_at and p.last_triage_at >= recent) for p in running),
            "paused": len(paused),
        },
    }


@login_required
@require_GET
def triage_list(request: HttpRequest) -> HttpResponse:
    return render(request, TRIAGE_PAGE, _triage_context(request.user))


@login_required
@require_POST
def triage_decide(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_edit(request.user, pk)
    form = TriageForm(request.POST, auto_id=f"triage-{pk}-%s")
    status, error = 200, None
    if form.is_valid():
        try:
            decision = decisions.pilot_decide(
                pilot=pilot,
                kind=form.cleaned_data["kind"],
                rationale=form.cleaned_data["rationale"],
                actor=request.user,
                in_triage=True,
            )
        except ChangeRefused as exc:
            status, error = 409, str(exc)
        else:
            if not request.htmx:
                messages.success(
                    request,
                    _("%(reference)s: %(decision)s.")
                    % {"reference": pilot.reference, "decision": decision.get_kind_display()},
                )
                return redirect(f"{reverse('triage')}#triage-{pk}")
            form = None
    else:
        status = 422 if request.htmx else 400
    if not request.htmx:
        if error:
            messages.error(request, error)
            return redirect(f"{reverse('triage')}#triage-{pk}")
        context = _triage_context(request.user, form_for=(pk, form))
        return render(request, TRIAGE_PAGE, context, status=status)
    row = intake.for_triage(Pilot.objects.filter(pk=pk)).get()
    row = _triage_row(row, request.user, timezone.localdate(), form)
    context = {"pilot": row, "row_error": error, "questions": intake.TriageQuestion}
    return render(request, f"{TRIAGE_PAGE}#triage-row", context, status=status)


# --- the Decisions tab ----------------------------------------------------------------------


def _decisions_context(request: HttpRequest, pilot: Pilot, **extra) -> dict:
    log = list(pilot.decisions.select_related("decided_by"))
    paused_on = decisions.paused_since(pilot) if pilot.status == Pilot.Status.PAUSED else None
    editable = can_edit_pilot(request.user, pilot)
    choices = {
        Pilot.Status.INTAKE: [DecisionKind.KILL],
        Pilot.Status.ACTIVE: [DecisionKind.PAUSE, DecisionKind.KILL],
        Pilot.Status.PAUSED: [DecisionKind.RESUME, DecisionKind.KILL],
    }.get(pilot.status, [])
    context = {
        "pilot": pilot,
        "tab": "decisions",
        "log": log,
        "can_edit": editable,
        "choices": [str(kind) for kind in choices] if editable else [],
        "paused_on": paused_on,
        "pause_days": (timezone.localdate() - paused_on).days if paused_on else None,
        "form": DecisionForm(),
        "form_kind": None,
        "triage_labels": dict(intake.TriageQuestion.choices),
    }
    context.update(extra)
    return context


@login_required
@require_http_methods(["GET", "POST"])
def pilot_decisions(request: HttpRequest, pk: int) -> HttpResponse:
    queryset = Pilot.objects.select_related("playbook", "programme_manager")
    if request.method == "GET":
        pilot = get_pilot_for_user(request.user, pk, queryset)
        return render(request, "pilots/decisions.html", _decisions_context(request, pilot))
    pilot = get_pilot_for_edit(request.user, pk, queryset)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        context = _decisions_context(
            request, pilot, form=form, form_kind=request.POST.get("kind", "")
        )
        return render(request, "pilots/decisions.html", context, status=400)
    try:
        decision = decisions.pilot_decide(
            pilot=pilot,
            kind=form.cleaned_data["kind"],
            rationale=form.cleaned_data["rationale"],
            actor=request.user,
        )
    except ChangeRefused as exc:
        messages.error(request, str(exc))
        return redirect("pilot-decisions", pk=pk)
    text = {
        DecisionKind.PAUSE: _("Paused. Reminders stop until it is resumed."),
        DecisionKind.KILL: _("Stopped. Its plan and history are kept."),
        DecisionKind.RESUME: _("Resumed."),
    }[decision.kind]
    shift_days = decision.details.get("shift_days")
    if decision.kind == DecisionKind.RESUME and shift_days:
        text += " " + ngettext(
            "Open dates moved on by %(count)s day.",
            "Open dates moved on by %(count)s days.",
            shift_days,
        ) % {"count": shift_days}
    messages.success(request, text)
    return redirect("pilot-decisions", pk=pk)
