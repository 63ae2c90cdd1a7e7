"""Changing deliverables: tick and untick, edit, waive, reopen, bulk assign, add custom.

Ticking answers htmx with the changed row and, out of band, the progress it moved; a
plain form POST gets a redirect back to the page, so everything works without JavaScript.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilots import services
from pilots.access import get_deliverable_for_edit, get_deliverable_for_tick, get_pilot_for_edit
from pilots.forms import BulkAssignForm, CustomDeliverableForm, DeliverableForm, TickForm, WaiveForm
from pilots.models import Deliverable, Pilot
from pilots.views.pilots import pilot_page_context, pilot_row_context


def pilot_anchor(pilot_pk: int, deliverable_pk: int) -> str:
    return f"{reverse('pilot-detail', args=[pilot_pk])}#deliverable-{deliverable_pk}"


def apply_tick(request: HttpRequest, deliverable: Deliverable, done: bool):
    """Tick or untick for the pilot page and My work alike.

    Returns (deliverable as it now stands, error message or None, HTTP status).
    """
    form = TickForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = "; ".join(e for field in form.errors.values() for e in field)
        return deliverable, errors, 422
    try:
        services.deliverable_set_done(
            deliverable=deliverable,
            actor=request.user,
            done=done,
            expected_version=form.cleaned_data["version"],
            evidence_url=form.cleaned_data["evidence_url"],
            note=form.cleaned_data["note"],
            evidence_file=form.cleaned_data["evidence_file"],
        )
    except services.StaleEdit as exc:
        return exc.current, str(exc), 409
    except services.ChangeRefused as exc:
        return deliverable, str(exc), 409
    return deliverable, None, 200


def _tick_on_pilot_page(request: HttpRequest, pk: int, deliverable_pk: int, done: bool):
    deliverable = get_deliverable_for_tick(request.user, deliverable_pk, pilot_pk=pk)
    pilot = deliverable.pilot
    deliverable, error, status = apply_tick(request, deliverable, done)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            text = _("“%(title)s” done.") if done else _("“%(title)s” reopened.")
            messages.success(request, text % {"title": deliverable.title})
        return redirect(pilot_anchor(pk, deliverable.pk))
    context = pilot_row_context(request, pilot, deliverable.pk)
    context["row_error"] = error
    return render(request, "pilots/detail.html#tick-response", context, status=status)


@login_required
@require_POST
def deliverable_tick(request: HttpRequest, pk: int, deliverable_pk: int) -> HttpResponse:
    return _tick_on_pilot_page(request, pk, deliverable_pk, done=True)


@login_required
@require_POST
def deliverable_untick(request: HttpRequest, pk: int, deliverable_pk: int) -> HttpResponse:
    return _tick_on_pilot_page(request, pk, deliverable_pk, done=False)


@login_required
@require_GET
def deliverable_evidence(request: HttpRequest, deliverable_pk: int) -> HttpResponse:
    """Tick with evidence or a note, as a page of its own: what a row's "Tick with evidence"
    links to when scripts do not run. With them, the row shows the same fields in place
    (static/js/ninety.js), so the pilot page does not carry them for every row."""
    deliverable = get_deliverable_for_tick(request.user, deliverable_pk)
    if not deliverable.is_open:
        messages.info(request, _("“%(title)s” is closed already.") % {"title": deliverable.title})
        return redirect(pilot_anchor(deliverable.pilot_id, deliverable.pk))
    return render(request, "pilots/evidence_form.html", {"deliverable": deliverable})


@login_required
@require_http_methods(["GET", "POST"])
def deliverable_edit(request: HttpRequest, pk: int, deliverable_pk: int) -> HttpResponse:
    deliverable = get_deliverable_for_edit(request.user, pk, deliverable_pk)
    initial = {
        "version": deliverable.version,
        "title": deliverable.title,
        "owner": deliverable.owner,
        "start_date": deliverable.start_date,
        "due_date": deliverable.due_date,
    }
    form = DeliverableForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        kickoff=deliverable.pilot.kickoff_date,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.deliverable_update(
                    deliverable=deliverable,
                    expected_version=data["version"],
                    title=data["title"],
                    owner=data["owner"],
                    start_date=data["start_date"],
                    due_date=data["due_date"],
                    actor=request.user,
                )
            except services.StaleEdit as exc:
                deliverable = exc.current
                form.add_error(None, str(exc))
                status = 409
            except services.ChangeRefused as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                messages.success(request, _("“%(title)s” saved.") % {"title": deliverable.title})
                return redirect(pilot_anchor(pk, deliverable.pk))
        else:
            status = 400
    context = {"form": form, "deliverable": deliverable, "pilot": deliverable.pilot}
    return render(request, "pilots/deliverable_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def deliverable_waive(request: HttpRequest, pk: int, deliverable_pk: int) -> HttpResponse:
    deliverable = get_deliverable_for_edit(request.user, pk, deliverable_pk)
    form = WaiveForm(
        request.POST if request.method == "POST" else None, initial={"version": deliverable.version}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.deliverable_waive(
                    deliverable=deliverable,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"],
                    actor=request.user,
                )
            except services.StaleEdit as exc:
                deliverable = exc.current
                form.add_error(None, str(exc))
                status = 409
            except services.ChangeRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("“%(title)s” waived.") % {"title": deliverable.title})
                return redirect(pilot_anchor(pk, deliverable.pk))
    context = {"form": form, "deliverable": deliverable, "pilot": deliverable.pilot}
    return render(request, "pilots/waive_form.html", context, status=status)


@login_required
@require_POST
def deliverable_reopen(request: HttpRequest, pk: int, deliverable_pk: int) -> HttpResponse:
    deliverable = get_deliverable_for_edit(request.user, pk, deliverable_pk)
    version = _posted_version(request)
    try:
        if version is None:
            # Without the version the page showed, a concurrent change would go unseen.
            raise services.ChangeRefused(_("This page is out of date. Reload it and try again."))
        services.deliverable_reopen(
            deliverable=deliverable, expected_version=version, actor=request.user
        )
    except services.ChangeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("“%(title)s” is back in the plan.") % {"title": deliverable.title}
        )
    return redirect(pilot_anchor(pk, deliverable.pk))


def parse_positive_int(raw: str | None, *, max_digits: int = 9) -> int | None:
    """A positive whole number written in ASCII digits, or None for anything else.

    `str.isdigit()` alone lets through "²" and other Unicode digits that `int()` refuses,
    and a very long number would not fit the database column; either would be a 500.
    """
    if not raw or len(raw) > max_digits or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw) or None


def _posted_version(request: HttpRequest) -> int | None:
    return parse_positive_int(request.POST.get("version"))


@login_required
@require_POST
def deliverables_assign(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_edit(request.user, pk)
    form = BulkAssignForm(request.POST, pilot=pilot)
    if not form.is_valid():
        return _assign_refused(request, pilot, form)
    try:
        count = services.deliverables_assign(
            pilot=pilot,
            deliverable_ids=[d.pk for d in form.cleaned_data["deliverables"]],
            owner=form.cleaned_data["owner"],
            actor=request.user,
        )
    except services.ChangeRefused as exc:
        form.add_error(None, str(exc))
        return _assign_refused(request, pilot, form)
    owner = form.cleaned_data["owner"]
    messages.success(
        request,
        ngettext(
            "%(count)s deliverable assigned to %(owner)s.",
            "%(count)s deliverables assigned to %(owner)s.",
            count,
        )
        % {"count": count, "owner": owner.get_full_name() or owner.username},
    )
    return redirect("pilot-detail", pk=pk)


def _assign_refused(request: HttpRequest, pilot: Pilot, form: BulkAssignForm) -> HttpResponse:
    """The pilot page again, nothing changed, with the errors beside the assign bar: a
    plain form POST (no JavaScript) sees them where it made the choice."""
    context = pilot_page_context(request, pilot)
    context["assign_form"] = form
    return render(request, "pilots/detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def deliverable_add(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_edit(request.user, pk)
    if not pilot.is_launched:
        messages.error(request, _("Launch the pilot before adding deliverables to its plan."))
        return redirect("pilot-detail", pk=pk)
    form = CustomDeliverableForm(request.POST if request.method == "POST" else None, pilot=pilot)
    if request.method == "POST" and form.is_valid():
        deliverable = services.deliverable_add_custom(
            pilot=pilot, actor=request.user, **form.cleaned_data
        )
        messages.success(request, _("“%(title)s” added.") % {"title": deliverable.title})
        return redirect(pilot_anchor(pk, deliverable.pk))
    status = 400 if form.errors else 200
    return render(
        request, "pilots/deliverable_add.html", {"form": form, "pilot": pilot}, status=status
    )
