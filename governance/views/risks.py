"""The Governance tab: classification summary and the risk register with its heat maps,
and the risk forms (create, edit inline or on its own page, accept the residual risk).

Every form works as a plain POST; with htmx, editing happens inside the register's row
and a save swaps the whole register (the heat maps and acceptances move with it).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget

from governance import risks
from governance.access import (
    can_edit_risks,
    get_pilot_for_governance,
    get_risk_in_pilot,
    require,
)
from governance.forms_risks import AcceptForm, RiskForm
from governance.models import AiActClass, Classification
from pilots.models import Pilot
from pilots.services import ChangeRefused


def _overview_context(request: HttpRequest, pilot: Pilot) -> dict:
    """Everything the Governance tab shows, in a fixed number of queries."""
    today = timezone.localdate()
    current = (
        Classification.objects.current()
        .filter(pilot=pilot)
        .select_related("prepared_by", "confirmed_by")
        .first()
    )
    register = list(risks.register_queryset(pilot))
    rows = risks.register_rows(register, today)
    for row in rows:
        row.can_accept = row.state in ("needed", "expired", "reopened") and (
            risks.authority_of(request.user, row.level) is not None
        )
    acceptances = sorted(
        (a for risk in register for a in risk.acceptances.all()),
        key=lambda a: (a.accepted_at, a.pk),
        reverse=True,
    )
    for acceptance in acceptances:
        acceptance.state = risks.acceptance_state(acceptance, today)
    open_rows = [r for r in rows if r.state != "closed"]
    return {
        "pilot": pilot,
        "tab": "governance",
        "today": today,
        "current_classification": current,
        "is_prohibited": bool(current and current.risk_class == AiActClass.PROHIBITED),
        "rows": rows,
        "acceptances": acceptances,
        "inherent_map": risks.heat_map(register, residual=False),
        "residual_map": risks.heat_map(register, residual=True),
        "summary": {
            "open": len(open_rows),
            "high": sum(r.level == risks.Level.HIGH for r in open_rows),
            "awaiting": sum(r.state in ("needed", "expired", "reopened") for r in open_rows),
            "accepted": sum(r.state == "in_force" for r in open_rows),
        },
        "can_edit": can_edit_risks(request.user, pilot),
        "medium_from": risks.MEDIUM_FROM,
        "high_from": risks.HIGH_FROM,
    }


@login_required
@require_GET
def governance_overview(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_governance(request.user, pk)
    return render(request, "governance/overview.html", _overview_context(request, pilot))


def _register_anchor(pilot_pk: int, risk_pk: int | None = None) -> str:
    url = reverse("governance-overview", args=[pilot_pk])
    return f"{url}#risk-{risk_pk}" if risk_pk else f"{url}#risk-register"


@login_required
@require_http_methods(["GET", "POST"])
def risk_create(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_governance(request.user, pk)
    require(can_edit_risks(request.user, pilot), _("You can read this register but not change it."))
    form = RiskForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        risk = risks.risk_create(pilot=pilot, actor=request.user, **form.changes())
        messages.success(request, _("Risk “%(title)s” added.") % {"title": risk.title})
        return redirect(_register_anchor(pilot.pk, risk.pk))
    context = {"pilot": pilot, "tab": "governance", "form": form, "risk": None}
    status = 400 if form.errors else 200
    return render(request, "governance/risks_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def risk_edit(request: HttpRequest, pk: int, risk_pk: int) -> HttpResponse:
    pilot = get_pilot_for_governance(request.user, pk)
    require(can_edit_risks(request.user, pilot), _("You can read this register but not change it."))
    risk = get_risk_in_pilot(pilot, risk_pk)
    form = RiskForm(
        request.POST if request.method == "POST" else None,
        initial=RiskForm.initial_from(risk),
        editing=True,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                risk = risks.risk_update(
                    risk=risk,
                    actor=request.user,
                    expected_version=form.cleaned_data["version"],
                    **form.changes(),
                )
            except risks.StaleRisk as exc:
                # Show the risk as it now stands (with its new version), not the stale edit.
                risk, status = exc.current, 409
                form = RiskForm(RiskForm.initial_from(risk), editing=True)
                form.is_valid()
                form.add_error(None, str(exc))
            else:
                if request.htmx:
                    context = _overview_context(request, pilot)
                    return render(request, "governance/overview.html#register", context)
                messages.success(request, _("Risk “%(title)s” saved.") % {"title": risk.title})
                return redirect(_register_anchor(pilot.pk, risk.pk))
    context = {"pilot": pilot, "tab": "governance", "form": form, "risk": risk}
    if request.htmx:
        # The inline form replaces the risk's row; errors come back into the same row.
        response = render(
            request,
            "governance/risks_form.html#risk-edit-row",
            context,
            status=422 if status == 400 else status,
        )
        return reswap(retarget(response, f"#risk-{risk.pk}"), "outerHTML")
    return render(request, "governance/risks_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def risk_accept(request: HttpRequest, pk: int, risk_pk: int) -> HttpResponse:
    pilot = get_pilot_for_governance(request.user, pk)
    risk = get_risk_in_pilot(pilot, risk_pk)
    level = risks.level_of(risk.residual_score)
    if not risks.needs_acceptance(risk):
        messages.info(
            request,
            _("“%(title)s” needs no acceptance: it is low or closed.") % {"title": risk.title},
        )
        return redirect(_register_anchor(pilot.pk, risk.pk))
    require(
        risks.authority_of(request.user, level) is not None, risks.authority_refusal_text(level)
    )
    today = timezone.localdate()
    form = AcceptForm(
        request.POST if request.method == "POST" else None,
        initial={"version": risk.version},
        today=today,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                risks.risk_accept(
                    risk=risk,
                    actor=request.user,
                    justification=form.cleaned_data["justification"],
                    expires_on=form.cleaned_data["expires_on"],
                    expected_version=form.cleaned_data["version"],
                    today=today,
                )
            except risks.StaleRisk as exc:
                # Keep the justification; the page now shows the risk as it stands, and
                # accepting again accepts that version.
                risk, status = exc.current, 409
                data = {**request.POST.dict(), "version": risk.version}
                form = AcceptForm(data, today=today)
                form.is_valid()
                form.add_error(None, str(exc))
            except ChangeRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("Residual risk of “%(title)s” accepted.") % {"title": risk.title}
                )
                return redirect(_register_anchor(pilot.pk, risk.pk))
    context = {
        "pilot": pilot,
        "tab": "governance",
        "form": form,
        "risk": risk,
        "level": risks.level_of(risk.residual_score),
        "authority": risks.authority_of(request.user, risks.level_of(risk.residual_score)),
        "phase_run": risks.current_phase_run(pilot, today),
    }
    return render(request, "governance/risks_accept.html", context, status=status)
