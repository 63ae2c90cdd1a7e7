"""A pilot's audit trail: its history, filterable by person and kind, and as CSV."""

import json

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from governance.access import get_pilot_for_governance
from governance.models import AuditEvent
from pilots.exports import csv_response

EVENTS_PER_PAGE = 50
# Keys whose values are user ids in before/after; shown by name on the page.
PERSON_KEYS = {
    "owner",
    "sponsor",
    "production_owner",
    "programme_manager",
    "done_by",
    "signer",
    "accepted_by",
    "reviewer",
    "operating_owner",
    "recorded_by",
}
# Every verb the product writes starts with one of these (a test holds them to it).
KINDS = [
    ("pilot", _("Pilot")),
    ("intake", _("Intake answers and costs")),
    ("decision", _("Decisions: start, triage, pause, stop, go-live")),
    ("kpi", _("KPI readings")),
    ("rollout", _("Rollout steps")),
    ("operation", _("Operation in production")),
    ("phase", _("Phases")),
    ("deliverable", _("Deliverables")),
    ("classification", _("AI Act classification")),
    ("risk", _("Risks and acceptances")),
    ("gate", _("Gates and signatures")),
    ("document", _("Documents")),
    ("review", _("Governance review")),
    ("admin", _("Changes in the admin")),
]


class AuditFilterForm(forms.Form):
    person = forms.TypedChoiceField(
        label=_("Person"), required=False, coerce=int, empty_value=None, choices=[("", _("Anyone"))]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Every kind")), *KINDS]
    )

    def __init__(self, *args, people: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", _("Anyone")), *people]
        self.fields["person"].widget.attrs["aria-label"] = _("Person")
        self.fields["kind"].widget.attrs["aria-label"] = _("Kind")


def _filtered_events(request: HttpRequest, pilot):
    events = AuditEvent.objects.filter(pilot_id=pilot.pk)
    people = list(
        events.exclude(actor_id=None)
        .order_by("actor_name")
        .values_list("actor_id", "actor_name")
        .distinct()
    )
    form = AuditFilterForm(request.GET or None, people=people)
    if form.is_valid():
        if form.cleaned_data["person"]:
            events = events.filter(actor_id=form.cleaned_data["person"])
        if form.cleaned_data["kind"]:
            kind = form.cleaned_data["kind"]
            events = events.filter(verb__startswith=kind)
    return form, events.order_by("-seq")


def _attach_changes(events) -> None:
    """Give each event `changes`: (field, before, after) rows, people shown by name,
    looked up in one query for the whole page."""
    ids = {
        value
        for event in events
        for side in (event.before, event.after)
        for key, value in side.items()
        if key in PERSON_KEYS and isinstance(value, int)
    }
    names = {
        user.pk: user.get_full_name() or user.get_username()
        for user in get_user_model().objects.filter(pk__in=ids)
    }

    def shown(key, value):
        return names.get(value, value) if key in PERSON_KEYS else value

    for event in events:
        keys = list(dict.fromkeys([*event.after, *event.before]))
        event.changes = [
            (
                key,
                shown(key, event.before.get(key)),
                shown(key, event.after.get(key)),
                key in event.before,
            )
            for key in keys
        ]


@login_required
@require_GET
def pilot_audit(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_governance(request.user, pk)
    form, events = _filtered_events(request, pilot)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    _attach_changes(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "pilot": pilot,
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "tab": "audit",
    }
    template = "governance/audit.html#events" if request.htmx else "governance/audit.html"
    return render(request, template, context)


@login_required
@require_GET
def pilot_audit_csv(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_pilot_for_governance(request.user, pk)
    _form, events = _filtered_events(request, pilot)
    rows = (
        (
            e.seq,
            timezone.localtime(e.occurred_at).isoformat(),
            e.actor_name,
            e.verb,
            e.object_type,
            e.object_id,
            e.object_repr,
            json.dumps(e.before, ensure_ascii=False),
            json.dumps(e.after, ensure_ascii=False),
            e.prev_hash,
            e.hash,
        )
        for e in events.iterator(chunk_size=2000)
    )
    header = [
        "seq",
        "time",
        "actor",
        "verb",
        "object type",
        "object id",
        "object",
        "before",
        "after",
        "previous hash",
        "hash",
    ]
    return csv_response(f"{pilot.reference}-audit.csv", header, rows)
