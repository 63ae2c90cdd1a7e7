"""Editing a draft's phases, deliverables and gate criteria.

Every action is a plain form POST that redirects back to the playbook page, so it works
without JavaScript. With htmx, an edit swaps the row into a form and back: a save answers
with the row (or the list it changed, for adds, deletes and moves) and, out of band, the
publish check, which any change may settle or raise.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from playbook import services
from playbook.access import (
    get_criterion_for_edit,
    get_phase_for_edit,
    get_playbook_for_edit,
    get_template_for_edit,
)
from playbook.forms import DeliverableTemplateForm, GateCriterionForm, MoveForm, PhaseForm
from playbook.models import DeliverableTemplate, GateCriterion, Playbook, PlaybookLocked
from playbook.views.common import DETAIL, anchor, form_data, locked_response, page_context


def _phases_response(request: HttpRequest, playbook: Playbook) -> HttpResponse:
    response = render(request, f"{DETAIL}#phases-response", page_context(request, playbook.pk))
    return reswap(retarget(response, "#phases"), "outerHTML")


def _form_page(request: HttpRequest, context: dict, status: int) -> HttpResponse:
    """The form on a page of its own, for browsers without JavaScript."""
    return render(request, "playbook/form.html", context, status=400 if status == 422 else status)


def _move_direction(request: HttpRequest) -> str | None:
    form = MoveForm(request.POST)
    return form.cleaned_data["direction"] if form.is_valid() else None


# -- phases -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def phase_create(request: HttpRequest, pk: int) -> HttpResponse:
    playbook = get_playbook_for_edit(request.user, pk)
    try:
        playbook.ensure_editable()
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    last = playbook.phases.order_by("-number").first()
    start = min(last.end_day + 1, playbook.length_days) if last else 1
    initial = {"start_day": start, "end_day": playbook.length_days, "gate_signers": []}
    form = PhaseForm(form_data(request), initial=initial, playbook=playbook)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                phase = services.phase_create(
                    playbook=playbook, actor=request.user, **form.cleaned_data
                )
            except PlaybookLocked as exc:
                return locked_response(request, exc)
            except services.ChangeRefused as exc:
                form.add_error(None, str(exc))
            else:
                if request.htmx:
                    return _phases_response(request, playbook)
                messages.success(request, _("Phase “%(name)s” added.") % {"name": phase.name})
                return redirect(anchor(playbook, f"phase-{phase.pk}"))
    context = {"playbook": playbook, "form": form, "phase": None}
    if request.htmx:
        return render(request, f"{DETAIL}#phase-form", context, status=status)
    return _form_page(
        request,
        {
            **context,
            "heading": _("Add a phase"),
            "intro": _("Phases follow one another; each ends at a gate."),
            "cancel_url": anchor(playbook, "phases"),
        },
        status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def phase_edit(request: HttpRequest, pk: int, phase_pk: int) -> HttpResponse:
    phase = get_phase_for_edit(request.user, pk, phase_pk)
    playbook = phase.playbook
    try:
        playbook.ensure_editable()
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    form = PhaseForm(form_data(request), instance=phase, playbook=playbook)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.phase_update(phase=phase, actor=request.user, **form.cleaned_data)
            except PlaybookLocked as exc:
                return locked_response(request, exc)
            except services.ChangeRefused as exc:
                form.add_error(None, str(exc))
            else:
                # Its days decide which deliverables fit and whether neighbours overlap.
                if request.htmx:
                    return _phases_response(request, playbook)
                messages.success(
                    request, _("Phase “%(name)s” saved.") % {"name": form.cleaned_data["name"]}
                )
                return redirect(anchor(playbook, f"phase-{phase.pk}"))
    context = {"playbook": playbook, "form": form, "phase": phase}
    if request.htmx:
        return render(request, f"{DETAIL}#phase-form", context, status=status)
    return _form_page(
        request,
        {
            **context,
            "heading": _("Edit phase %(number)s") % {"number": phase.number},
            "cancel_url": anchor(playbook, f"phase-{phase.pk}"),
        },
        status,
    )


@login_required
@require_POST
def phase_delete(request: HttpRequest, pk: int, phase_pk: int) -> HttpResponse:
    phase = get_phase_for_edit(request.user, pk, phase_pk)
    try:
        services.phase_delete(phase=phase, actor=request.user)
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    if request.htmx:
        return _phases_response(request, phase.playbook)
    messages.success(
        request, _("Phase “%(name)s” deleted, with its deliverables.") % {"name": phase.name}
    )
    return redirect(anchor(phase.playbook, "phases"))


@login_required
@require_POST
def phase_move(request: HttpRequest, pk: int, phase_pk: int) -> HttpResponse:
    phase = get_phase_for_edit(request.user, pk, phase_pk)
    direction = _move_direction(request)
    if direction is None:
        return HttpResponse(_("Say which way to move: up or down."), status=400)
    try:
        services.phase_move(phase=phase, actor=request.user, direction=direction)
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    if request.htmx:
        return _phases_response(request, phase.playbook)
    return redirect(anchor(phase.playbook, f"phase-{phase.pk}"))


# -- deliverable templates --------------------------------------------------------------


def _template_list_response(request: HttpRequest, playbook: Playbook, phase_pk: int):
    context = page_context(request, playbook.pk)
    context["phase"] = context["page"].phase(phase_pk)
    response = render(request, f"{DETAIL}#template-list-response", context)
    return reswap(retarget(response, f"#phase-{phase_pk}-templates"), "outerHTML")


@login_required
@require_http_methods(["GET", "POST"])
def template_create(request: HttpRequest, pk: int, phase_pk: int) -> HttpResponse:
    phase = get_phase_for_edit(request.user, pk, phase_pk)
    playbook = phase.playbook
    try:
        playbook.ensure_editable()
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    last = phase.templates.order_by("-order").first()
    initial = {
        "phase": phase,
        "workstream": last.workstream if last else "",
        "dimension": last.dimension if last else "",
        "start_day": phase.start_day,
        "due_day": phase.end_day,
    }
    form = DeliverableTemplateForm(
        form_data(request),
        instance=DeliverableTemplate(phase=phase),
        initial=initial,
        playbook=playbook,
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                template = services.deliverable_template_create(
                    actor=request.user, **form.cleaned_data
                )
            except PlaybookLocked as exc:
                return locked_response(request, exc)
            except services.ChangeRefused as exc:
                form.add_error(None, str(exc))
            else:
                if request.htmx:
                    if template.phase_id != phase.pk:
                        return _phases_response(request, playbook)
                    return _template_list_response(request, playbook, phase.pk)
                messages.success(request, _("“%(title)s” added.") % {"title": template.title})
                return redirect(anchor(playbook, f"template-{template.pk}"))
    context = {"playbook": playbook, "form": form, "phase": phase, "template": None}
    if request.htmx:
        return render(request, f"{DETAIL}#template-form", context, status=status)
    return _form_page(
        request,
        {
            **context,
            "heading": _("Add a deliverable to %(phase)s") % {"phase": phase.name},
            "intro": _("%(phase)s runs from day %(start)s to day %(end)s.")
            % {"phase": phase.name, "start": phase.start_day, "end": phase.end_day},
            "cancel_url": anchor(playbook, f"phase-{phase.pk}"),
        },
        status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int, template_pk: int) -> HttpResponse:
    template = get_template_for_edit(request.user, pk, template_pk)
    phase = template.phase
    playbook = phase.playbook
    try:
        playbook.ensure_editable()
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    form = DeliverableTemplateForm(form_data(request), instance=template, playbook=playbook)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                saved = services.deliverable_template_update(
                    template=template, actor=request.user, **form.cleaned_data
                )
            except PlaybookLocked as exc:
                return locked_response(request, exc)
            except services.ChangeRefused as exc:
                form.add_error(None, str(exc))
            else:
                if request.htmx:
                    if saved.phase_id != phase.pk:
                        return _phases_response(request, playbook)
                    context = page_context(request, pk)
                    context["phase"] = context["page"].phase(phase.pk)
                    context["template"] = context["page"].template_row(saved.pk)
                    return render(request, f"{DETAIL}#template-row-response", context)
                messages.success(request, _("“%(title)s” saved.") % {"title": saved.title})
                return redirect(anchor(playbook, f"template-{saved.pk}"))
    context = {"playbook": playbook, "form": form, "phase": phase, "template": template}
    if request.htmx:
        return render(request, f"{DETAIL}#template-form", context, status=status)
    return _form_page(
        request,
        {
            **context,
            "heading": _("Edit deliverable"),
            "cancel_url": anchor(playbook, f"template-{template.pk}"),
        },
        status,
    )


@login_required
@require_POST
def template_delete(request: HttpRequest, pk: int, template_pk: int) -> HttpResponse:
    template = get_template_for_edit(request.user, pk, template_pk)
    try:
        services.deliverable_template_delete(template=template, actor=request.user)
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    playbook = template.phase.playbook
    if request.htmx:
        return _template_list_response(request, playbook, template.phase_id)
    messages.success(request, _("“%(title)s” deleted.") % {"title": template.title})
    return redirect(anchor(playbook, f"phase-{template.phase_id}"))


@login_required
@require_POST
def template_move(request: HttpRequest, pk: int, template_pk: int) -> HttpResponse:
    template = get_template_for_edit(request.user, pk, template_pk)
    direction = _move_direction(request)
    if direction is None:
        return HttpResponse(_("Say which way to move: up or down."), status=400)
    try:
        services.deliverable_template_move(
            template=template, actor=request.user, direction=direction
        )
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    playbook = template.phase.playbook
    if request.htmx:
        return _template_list_response(request, playbook, template.phase_id)
    return redirect(anchor(playbook, f"template-{template.pk}"))


# -- gate criteria ----------------------------------------------------------------------


def _criterion_list_response(request: HttpRequest, playbook: Playbook, phase_pk: int):
    context = page_context(request, playbook.pk)
    context["phase"] = context["page"].phase(phase_pk)
    response = render(request, f"{DETAIL}#criterion-list", context)
    return reswap(retarget(response, f"#phase-{phase_pk}-criteria"), "outerHTML")


@login_required
@require_http_methods(["GET", "POST"])
def criterion_create(request: HttpRequest, pk: int, phase_pk: int) -> HttpResponse:
    phase = get_phase_for_edit(request.user, pk, phase_pk)
    playbook = phase.playbook
    try:
        playbook.ensure_editable()
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    form = GateCriterionForm(form_data(request), instance=GateCriterion(phase=phase))
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                criterion = services.gate_criterion_create(
                    phase=phase, actor=request.user, statement=form.cleaned_data["statement"]
                )
            except PlaybookLocked as exc:
                return locked_response(request, exc)
            if request.htmx:
                return _criterion_list_response(request, playbook, phase.pk)
            messages.success(request, _("Gate criterion added."))
            return redirect(anchor(playbook, f"criterion-{criterion.pk}"))
    context = {"playbook": playbook, "form": form, "phase": phase, "criterion": None}
    if request.htmx:
        return render(request, f"{DETAIL}#criterion-form", context, status=status)
    return _form_page(
        request,
        {
            **context,
            "heading": _("Add a gate criterion to %(phase)s") % {"phase": phase.name},
            "intro": _("Something the signers confirm is true before the phase closes."),
            "cancel_url": anchor(playbook, f"phase-{phase.pk}"),
        },
        status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def criterion_edit(request: HttpRequest, pk: int, criterion_pk: int) -> HttpResponse:
    criterion = get_criterion_for_edit(request.user, pk, criterion_pk)
    playbook = criterion.phase.playbook
    try:
        playbook.ensure_editable()
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    form = GateCriterionForm(form_data(request), instance=criterion)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.gate_criterion_update(
                    criterion=criterion,
                    actor=request.user,
                    statement=form.cleaned_data["statement"],
                )
            except PlaybookLocked as exc:
                return locked_response(request, exc)
            if request.htmx:
                context = page_context(request, pk)
                context["phase"] = context["page"].phase(criterion.phase_id)
                context["criterion"] = context["page"].criterion_row(criterion.pk)
                return render(request, f"{DETAIL}#criterion-row", context)
            messages.success(request, _("Gate criterion saved."))
            return redirect(anchor(playbook, f"criterion-{criterion.pk}"))
    context = {
        "playbook": playbook,
        "form": form,
        "phase": criterion.phase,
        "criterion": criterion,
    }
    if request.htmx:
        return render(request, f"{DETAIL}#criterion-form", context, status=status)
    return _form_page(
        request,
        {
            **context,
            "heading": _("Edit gate criterion"),
            "cancel_url": anchor(playbook, f"criterion-{criterion.pk}"),
        },
        status,
    )


@login_required
@require_POST
def criterion_delete(request: HttpRequest, pk: int, criterion_pk: int) -> HttpResponse:
    criterion = get_criterion_for_edit(request.user, pk, criterion_pk)
    try:
        services.gate_criterion_delete(criterion=criterion, actor=request.user)
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    playbook = criterion.phase.playbook
    if request.htmx:
        return _criterion_list_response(request, playbook, criterion.phase_id)
    messages.success(request, _("Gate criterion deleted."))
    return redirect(anchor(playbook, f"phase-{criterion.phase_id}"))


@login_required
@require_POST
def criterion_move(request: HttpRequest, pk: int, criterion_pk: int) -> HttpResponse:
    criterion = get_criterion_for_edit(request.user, pk, criterion_pk)
    direction = _move_direction(request)
    if direction is None:
        return HttpResponse(_("Say which way to move: up or down."), status=400)
    try:
        services.gate_criterion_move(criterion=criterion, actor=request.user, direction=direction)
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    playbook = criterion.phase.playbook
    if request.htmx:
        return _criterion_list_response(request, playbook, criterion.phase_id)
    return redirect(anchor(playbook, f"criterion-{criterion.pk}"))
