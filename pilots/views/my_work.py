"""My work: the open deliverables a person owns across pilots, soonest first.

The page shows the most urgent fifty (a page of work a person actually reads), grouped
overdue / next seven days / later; the summary counts everything.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from pilots.access import get_deliverable_for_tick
from pilots.models import Deliverable, Evidence, attach_evidence
from pilots.plan import due_groups, mark_row
from pilots.row_links import my_work_links
from pilots.views.deliverables import apply_tick, parse_positive_int

GROUP_TITLES = {
    "overdue": gettext_lazy("Overdue"),
    "this_week": gettext_lazy("Due in the next 7 days"),
    "later": gettext_lazy("Later"),
}
PAGE_SIZE = 50


def _summary(user, today) -> dict:
    """Counts of all the user's open work, in one query."""
    return Deliverable.objects.for_my_work(user).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today))
    )


def _page_number(request: HttpRequest, total: int) -> int:
    pages = max(1, -(-total // PAGE_SIZE))
    return min(parse_positive_int(request.GET.get("page")) or 1, pages)


@login_required
@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    summary = _summary(request.user, today)
    page = _page_number(request, summary["open"])
    start = (page - 1) * PAGE_SIZE
    deliverables = list(Deliverable.objects.for_my_work(request.user)[start : start + PAGE_SIZE])
    attach_evidence(deliverables, Evidence.objects.filter(deliverable__in=deliverables))
    links = my_work_links()
    for deliverable in deliverables:
        mark_row(deliverable, today, tickable=True, links=links)
    groups = due_groups(deliverables, today)
    context = {
        "groups": [(key, GROUP_TITLES[key], groups[key]) for key in GROUP_TITLES],
        "summary": summary,
        "page": page,
        "shown_from": start + 1,
        "shown_to": start + len(deliverables),
        "has_previous": page > 1,
        "has_next": start + PAGE_SIZE < summary["open"],
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
            text = _("“%(title)s” done.") if done else _("“%(title)s” reopened.")
            messages.success(request, text % {"title": deliverable.title})
        return redirect("my-work")
    today = timezone.localdate()
    attach_evidence([deliverable], Evidence.objects.filter(deliverable=deliverable))
    mark_row(deliverable, today, tickable=True, links=my_work_links())
    context = {
        "deliverable": deliverable,
        "row_error": error,
        "summary": _summary(request.user, today),
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
