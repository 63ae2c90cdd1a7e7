"""The EU AI Act classification of a pilot: the result, the questionnaire, confirming."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance.access import (
    can_confirm_classification,
    can_prepare_classification,
    get_classification_in_pilot,
    get_pilot_for_governance,
    require,
)
from governance.classification import (
    classification_confirm,
    classification_prepare,
    obligations_for,
    reasons_shown,
)
from governance.forms_classification import QuestionnaireForm
from governance.models import Classification, Obligation
from governance.questionnaire import answered_questions
from pilots.services import ChangeRefused


@login_required
@require_GET
def classification_page(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_governance(request.user, pk)
    today = timezone.localdate()
    every = list(
        Classification.objects.filter(pilot=pilot).select_related("prepared_by", "confirmed_by")
    )
    current = next((c for c in every if c.superseded_at is None), None)
    for classification in every:
        # Stored in English (a fact of the audit chain); shown in the reader's language.
        # Only this page's copies change: nothing here is saved.
        classification.reasons = reasons_shown(classification)
    context = {
        "pilot": pilot,
        "tab": "governance",
        "current_classification": current,
        "history": [c for c in every if c is not current],
        "can_prepare": can_prepare_classification(request.user, pilot),
        "can_confirm": can_confirm_classification(request.user),
        "today": today,
    }
    if current:
        context["obligations"] = obligations_for(current, Obligation.objects.all(), today)
        context["answered"] = answered_questions(current.answers)
    return render(request, "governance/classification.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def classification_new(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_governance(request.user, pk)
    require(
        can_prepare_classification(request.user, pilot),
        _("Only the pilot's programme manager or a governance reviewer can classify it."),
    )
    current = Classification.objects.current().filter(pilot=pilot).first()
    initial = QuestionnaireForm.initial_from(current.answers) if current else {}
    form = QuestionnaireForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        classification = classification_prepare(
            pilot=pilot, answers=form.answers(), actor=request.user
        )
        messages.success(
            request,
            _("Classified as “%(risk_class)s”. A governance reviewer confirms it.")
            % {"risk_class": classification.get_risk_class_display()},
        )
        return redirect("governance-classification", pk=pilot.pk)
    context = {
        "pilot": pilot,
        "tab": "governance",
        "form": form,
        "current_classification": current,
    }
    status = 400 if form.errors else 200
    return render(request, "governance/classification_form.html", context, status=status)


@login_required
@require_POST
def classification_confirm_view(request: HttpRequest, pk: int, classification_pk: int):
    pilot = get_pilot_for_governance(request.user, pk)
    require(
        can_confirm_classification(request.user),
        _("Only a governance reviewer can confirm a classification."),
    )
    classification = get_classification_in_pilot(pilot, classification_pk)
    try:
        classification_confirm(classification=classification, actor=request.user)
    except ChangeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Classification confirmed."))
    return redirect("governance-classification", pk=pilot.pk)
