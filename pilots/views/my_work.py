"""My work: the open deliverables a person owns across pilots, soonest first."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from pilots.access import get_deliverable_for_tick
from pilots.models import Deliverable
from pilots.plan import due_groups
from pilots.views.deliverables import apply_tick

GROUP_TITLES = {"overdue": "Overdue", "this_week": "Due in the next 7 days", "later": "Later"}


def _my_open_work(user) -> list[Deliverable]:
    return list(Deliverable.objects.for_my_work(user))


def _summary(deliverables: list[Deliverable], today) -> dict:
    return {
        "open": len(deliverables),
        "overdue": sum(d.due_date < today for d in deliverables),
    }


@login_required
@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    deliverables = _my_open_work(request.user)
    for deliverable in deliverables:
        deliverable.overdue = deliverable.is_overdue(today)
        deliverable.due_soon = deliverable.is_due_soon(today)
        deliverable.tickable = True
    groups = due_groups(deliverables, today)
    context = {
        "groups": [(key, GROUP_TITLES[key], groups[key]) for key in GROUP_TITLES],
        "summary": _summary(deliverables, today),
        "today": today,
    }
    return render(request, "pilots/my_work.html", context)


def _tick_from_my_work(request: HttpRequest, deliverable_pk: int, done: bool) -> HttpResponse:
    deliverable = get_deliverable_for_tick(request.user, deliverable_pk)
    deliverable, error, status = apply_tick(request, deliverable, done)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"“{deliverable.title}” {'done' if done else 'reopened'}.")
        return redirect("my-work")
    today = timezone.localdate()
    deliverable.overdue = deliverable.is_overdue(today)
    deliverable.due_soon = deliverable.is_due_soon(today)
    deliverable.tickable = True
    context = {
        "deliverable": deliverable,
        "row_error": error,
        "summary": _summary(_my_open_work(request.user), today),
        "today": today,
    }
    return render(request, "pilots/my_work.html#tick-response", context, status=status)


@login_required
@require_POST
def my_work_tick(request: HttpRequest, deliverable_pk: int) -> HttpResponse:
    return _tick_from_my_work(request, deliverable_pk, done=True)


@login_required
@require_POST
def my_work_untick(request: HttpRequest, deliverable_pk: int) -> HttpResponse:
    return _tick_from_my_work(request, deliverable_pk, done=False)
