"""The pilots part of the JSON API (/api/v1/): pilots, phases, deliverables, KPI readings
and the portfolio summary. Mounted by config/api.py, which authenticates the caller
(`request.auth` is the user a personal API token belongs to).

Access is the web pages' own (pilots.access): whoever may not read a pilot gets 404 for
it and everything in it; a reader who may not change something gets 403. Writes go
through the same services and forms as the pages, so their rules hold here too.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import BaseModel, ConfigDict

from pilots import portfolio, portfolio_read, services, value
from pilots.access import (
    can_edit_pilot,
    get_deliverable_for_tick,
    get_pilot_for_readings,
    get_pilot_for_user,
    visible_pilots,
)
from pilots.api_support import (
    WRITE_ERRORS,
    ApiError,
    Id,
    PageQuery,
    PersonOut,
    SearchText,
    body_schema,
    choice,
    form_invalid,
    get_visible,
    in_visible_pilots,
    page,
    page_schema,
    parse_body,
    person,
    responses,
    text,
    web_url,
)
from pilots.forms import DeliverableForm, TickForm
from pilots.intake_forms import KpiReadingForm
from pilots.models import OPEN_STATUSES, Deliverable, PhaseRun, Pilot
from pilots.value_models import KpiReading
from playbook.models import DeliverableKind, Dimension

router = Router()


PilotStatus = choice(Pilot.Status)
PhaseState = choice(PhaseRun.State)
DeliverableStatus = choice(Deliverable.Status)


# --- pilots -------------------------------------------------------------------------------


class PhaseBrief(Schema):
    number: int
    name: str


class DeliverableCounts(Schema):
    total: int
    closed: int = Field(description="Done or waived.")
    overdue: int = Field(description="Open and past their due date.")


class PilotOut(Schema):
    id: int
    reference: str
    name: str
    business_unit: str
    status: PilotStatus
    kickoff_date: date
    launched_at: datetime | None
    programme_manager: PersonOut
    sponsor: PersonOut | None
    production_owner: PersonOut | None
    current_phase: PhaseBrief | None = Field(description="The last phase that has started.")
    deliverables: DeliverableCounts
    version: int
    updated_at: datetime
    url: str = Field(description="The pilot's page in Ninety.")


class MetricOut(Schema):
    name: str
    unit: str
    baseline: Decimal | None
    target: Decimal | None
    target_date: date | None
    latest: Decimal | None
    latest_on: date | None


class GateBrief(Schema):
    number: int
    name: str
    due_on: date


class PilotDetailOut(PilotOut):
    problem: str
    playbook: str
    success_metric: MetricOut
    day: int | None = Field(description="Day of the 90 (1 = kickoff); null before launch.")
    stage: str
    rag: Literal["red", "amber", "green"] | None = Field(description="Running pilots only.")
    rag_reasons: list[str]
    stuck_reasons: list[str] = Field(description="Why the pilot is in purgatory, if it is.")
    next_gate: GateBrief | None
    facets: dict[str, str] = Field(description="What other parts of Ninety add, by name.")


PilotPage = page_schema(PilotOut, "PilotPage")


class PilotFilters(PageQuery):
    status: PilotStatus | None = None
    business_unit: SearchText | None = None
    programme_manager: Id | None = None
    q: SearchText | None = Field(None, description="Part of the name or the reference.")


def _pilot_row(pilot: Pilot) -> dict:
    current = None
    if pilot.current_phase_number is not None:
        current = {"number": pilot.current_phase_number, "name": pilot.current_phase_name}
    return {
        "id": pilot.pk,
        "reference": pilot.reference,
        "name": pilot.name,
        "business_unit": pilot.business_unit,
        "status": pilot.status,
        "kickoff_date": pilot.kickoff_date,
        "launched_at": pilot.launched_at,
        "programme_manager": person(pilot.programme_manager),
        "sponsor": person(pilot.sponsor),
        "production_owner": person(pilot.production_owner),
        "current_phase": current,
        "deliverables": {
            "total": pilot.total_count,
            "closed": pilot.closed_count,
            "overdue": pilot.overdue_count,
        },
        "version": pilot.version,
        "updated_at": pilot.updated_at,
        "url": web_url("pilot-detail", pilot.pk),
    }


def _pilots(user, today: date):
    return (
        visible_pilots(user)
        .for_list(today)
        .select_related("sponsor", "production_owner")
        .order_by("pk")
    )


@router.get("/pilots", response=responses({200: PilotPage}), tags=["Pilots"], summary="List pilots")
def pilot_list(request: HttpRequest, filters: Query[PilotFilters]):
    """The pilots you may read, oldest first."""
    pilots = _pilots(request.auth, timezone.localdate())
    if filters.status:
        pilots = pilots.filter(status=filters.status)
    if filters.business_unit:
        pilots = pilots.filter(business_unit=filters.business_unit)
    if filters.programme_manager:
        pilots = pilots.filter(programme_manager_id=filters.programme_manager)
    if filters.q:
        pilots = pilots.filter(Q(name__icontains=filters.q) | Q(reference__icontains=filters.q))
    return page(pilots, filters, name="pilots", row=_pilot_row)


@router.get(
    "/pilots/{int:pilot_id}",
    response=responses({200: PilotDetailOut}),
    tags=["Pilots"],
    summary="Read a pilot",
)
def pilot_read(request: HttpRequest, pilot_id: Id):
    """A pilot with its success metric and where it stands: stage, RAG and the reasons,
    the next gate; as the portfolio judges it."""
    today = timezone.localdate()
    pilot = get_pilot_for_user(
        request.auth, pilot_id, _pilots(request.auth, today).select_related("playbook")
    )
    (row,) = portfolio.rows(Pilot.objects.for_portfolio().filter(pk=pilot.pk), today)
    next_gate = None
    if row.next_gate_number is not None:
        next_gate = {
            "number": row.next_gate_number,
            "name": row.next_gate_name,
            "due_on": row.next_gate_on,
        }
    return {
        **_pilot_row(pilot),
        "problem": pilot.problem,
        "playbook": str(pilot.playbook),
        "success_metric": {
            "name": pilot.success_metric,
            "unit": pilot.success_unit,
            "baseline": pilot.success_baseline,
            "target": pilot.success_target,
            "target_date": pilot.success_target_date,
            "latest": row.latest_reading,
            "latest_on": row.latest_reading_on,
        },
        "day": row.day,
        "stage": row.stage,
        "rag": row.rag or None,
        "rag_reasons": row.rag_reasons,
        "stuck_reasons": row.stuck_reasons,
        "next_gate": next_gate,
        "facets": {name: shown for name, shown in row.facets.items() if shown},
    }


# --- phases -------------------------------------------------------------------------------


class PhaseOut(Schema):
    id: int
    pilot_id: int
    number: int
    name: str
    planned_start: date
    planned_end: date
    state: PhaseState
    signed_off_at: datetime | None
    gate_url: str = Field(description="The gate's page in Ninety.")


PhasePage = page_schema(PhaseOut, "PhasePage")


class PhaseFilters(PageQuery):
    pilot: Id | None = None
    state: PhaseState | None = None
    number: int | None = Field(None, ge=1, le=32767)


def _phase_row(run: PhaseRun) -> dict:
    return {
        "id": run.pk,
        "pilot_id": run.pilot_id,
        "number": run.number,
        "name": run.name,
        "planned_start": run.planned_start,
        "planned_end": run.planned_end,
        "state": run.state,
        "signed_off_at": run.signed_off_at,
        "gate_url": web_url("governance-gate", run.pilot_id, run.number),
    }


@router.get("/phases", response=responses({200: PhasePage}), tags=["Phases"], summary="List phases")
def phase_list(request: HttpRequest, filters: Query[PhaseFilters]):
    """The phase runs of the pilots you may read: three a launched pilot."""
    runs = in_visible_pilots(request.auth, PhaseRun.objects.all(), filters.pilot)
    if filters.state:
        runs = runs.filter(state=filters.state)
    if filters.number:
        runs = runs.filter(number=filters.number)
    return page(runs, filters, name="phases", row=_phase_row)


@router.get(
    "/phases/{int:phase_id}",
    response=responses({200: PhaseOut}),
    tags=["Phases"],
    summary="Read a phase",
)
def phase_read(request: HttpRequest, phase_id: Id):
    return _phase_row(
        get_visible(request.auth, PhaseRun.objects.all(), phase_id, _("No such phase."))
    )


# --- deliverables -------------------------------------------------------------------------


class DeliverableOut(Schema):
    id: int
    pilot_id: int
    phase_id: int
    phase_number: int
    title: str
    workstream: str
    dimension: choice(Dimension)
    kind: choice(DeliverableKind)
    mandatory: bool
    evidence_required: bool
    owner: PersonOut | None
    start_date: date
    due_date: date
    status: DeliverableStatus
    overdue: bool
    waived_reason: str
    done_at: datetime | None
    done_by: PersonOut | None
    version: int = Field(description="Send it back with a change: a stale one gets 409.")
    updated_at: datetime
    url: str


DeliverablePage = page_schema(DeliverableOut, "DeliverablePage")


class DeliverableFilters(PageQuery):
    pilot: Id | None = None
    phase: int | None = Field(None, ge=1, le=32767, description="Phase number.")
    status: DeliverableStatus | None = None
    owner: str | None = Field(
        None, pattern=r"^(me|none|[1-9][0-9]{0,17})$", description="A user id, `me` or `none`."
    )
    overdue: bool | None = None
    mandatory: bool | None = None
    due_after: date | None = Field(None, description="Due on or after this date.")
    due_before: date | None = Field(None, description="Due on or before this date.")


def _deliverables():
    return Deliverable.objects.select_related("owner", "done_by", "phase_run")


def _deliverable_row(item: Deliverable, today: date | None = None) -> dict:
    today = today or timezone.localdate()
    return {
        "id": item.pk,
        "pilot_id": item.pilot_id,
        "phase_id": item.phase_run_id,
        "phase_number": item.phase_run.number,
        "title": item.title,
        "workstream": item.workstream,
        "dimension": item.dimension,
        "kind": item.kind,
        "mandatory": item.mandatory,
        "evidence_required": item.evidence_required,
        "owner": person(item.owner),
        "start_date": item.start_date,
        "due_date": item.due_date,
        "status": item.status,
        "overdue": item.is_overdue(today),
        "waived_reason": item.waived_reason,
        "done_at": item.done_at,
        "done_by": person(item.done_by),
        "version": item.version,
        "updated_at": item.updated_at,
        "url": web_url("pilot-detail", item.pilot_id) + f"#deliverable-{item.pk}",
    }


@router.get(
    "/deliverables",
    response=responses({200: DeliverablePage}),
    tags=["Deliverables"],
    summary="List deliverables",
)
def deliverable_list(request: HttpRequest, filters: Query[DeliverableFilters]):
    """The deliverables of the pilots you may read. `owner=me` is your own work."""
    today = timezone.localdate()
    items = in_visible_pilots(request.auth, _deliverables(), filters.pilot)
    if filters.phase:
        items = items.filter(phase_run__number=filters.phase)
    if filters.status:
        items = items.filter(status=filters.status)
    if filters.owner == "me":
        items = items.filter(owner=request.auth)
    elif filters.owner == "none":
        items = items.filter(owner__isnull=True)
    elif filters.owner:
        items = items.filter(owner_id=int(filters.owner))
    if filters.overdue is True:
        items = items.overdue_on(today)
    elif filters.overdue is False:
        items = items.exclude(pk__in=Deliverable.objects.overdue_on(today).values("pk"))
    if filters.mandatory is not None:
        items = items.filter(mandatory=filters.mandatory)
    if filters.due_after:
        items = items.filter(due_date__gte=filters.due_after)
    if filters.due_before:
        items = items.filter(due_date__lte=filters.due_before)
    return page(items, filters, name="deliverables", row=lambda d: _deliverable_row(d, today))


@router.get(
    "/deliverables/{int:deliverable_id}",
    response=responses({200: DeliverableOut}),
    tags=["Deliverables"],
    summary="Read a deliverable",
)
def deliverable_read(request: HttpRequest, deliverable_id: Id):
    return _deliverable_row(
        get_visible(request.auth, _deliverables(), deliverable_id, _("No such deliverable."))
    )


class DeliverablePatch(BaseModel):
    """Tick or untick a deliverable, or change its owner, title or dates. Send only what
    changes, with the `version` you read."""

    model_config = ConfigDict(strict=True, extra="forbid", title="DeliverablePatch")

    version: int = Field(ge=1, le=2_147_483_647)
    status: Literal["done", "todo"] | None = Field(
        None, description="`done` ticks it; `todo` unticks a done one."
    )
    evidence_url: text(500) = Field("", description="With `done`: a link to the evidence.")
    note: text(2000) = Field("", description="With `done`: a note for the record.")
    owner: int | None = Field(None, ge=1, le=2_147_483_647, description="A user id; null: none.")
    title: text(200) | None = None
    start_date: date | None = None
    due_date: date | None = None


PLAN_FIELDS = ("owner", "title", "start_date", "due_date")


@router.patch(
    "/deliverables/{int:deliverable_id}",
    response=responses({200: DeliverableOut}, WRITE_ERRORS),
    tags=["Deliverables"],
    summary="Tick or change a deliverable",
    openapi_extra=body_schema(DeliverablePatch),
)
def deliverable_update(request: HttpRequest, deliverable_id: Id):
    """Its owner and the pilot's programme manager tick it (`status`); only the
    programme manager changes its owner, title or dates. The change applies only if
    `version` is still current (409 otherwise); a tick and a change in one request are
    applied together or not at all."""
    user = request.auth
    deliverable = get_deliverable_for_tick(user, deliverable_id)
    patch = parse_body(request, DeliverablePatch)
    replan = [name for name in PLAN_FIELDS if name in patch.model_fields_set]
    if replan and not can_edit_pilot(user, deliverable.pilot):
        raise ApiError(
            403, "forbidden", _("Only the pilot's programme manager changes this deliverable.")
        )
    if patch.version != deliverable.version:
        raise services.StaleEdit(deliverable)
    tick = _tick_form(deliverable, patch)
    plan = _plan_form(deliverable, patch, replan) if replan else None
    with transaction.atomic():
        version = patch.version
        if plan is not None:
            data = plan.cleaned_data
            services.deliverable_update(
                deliverable=deliverable,
                expected_version=version,
                title=data["title"],
                owner=data["owner"],
                start_date=data["start_date"],
                due_date=data["due_date"],
                actor=user,
            )
            version = deliverable.version
        if tick is not None:
            services.deliverable_set_done(
                deliverable=deliverable,
                actor=user,
                done=patch.status == Deliverable.Status.DONE,
                expected_version=version,
                evidence_url=tick.cleaned_data["evidence_url"],
                note=tick.cleaned_data["note"],
            )
    return _deliverable_row(_deliverables().get(pk=deliverable.pk))


def _tick_form(deliverable: Deliverable, patch: DeliverablePatch) -> TickForm | None:
    """The tick the patch asks for, checked as the page checks it; None when the status
    is already what it asks (a repeated request changes nothing)."""
    if patch.status is None:
        if patch.evidence_url or patch.note:
            raise ApiError(
                422,
                "invalid",
                _("Evidence goes with a tick."),
                {"status": [_("Send status done with evidence_url or note.")]},
            )
        return None
    wanted_done = patch.status == Deliverable.Status.DONE
    is_done = deliverable.status == Deliverable.Status.DONE
    if wanted_done == is_done and (is_done or deliverable.status in OPEN_STATUSES):
        return None
    form = TickForm(
        {"version": patch.version, "evidence_url": patch.evidence_url, "note": patch.note}
    )
    if not form.is_valid():
        raise form_invalid(form)
    return form


def _plan_form(deliverable: Deliverable, patch: DeliverablePatch, replan: list[str]):
    """The changed plan, checked by the page's own form: an active owner, dates in order
    and near the kickoff."""
    current = {
        "version": deliverable.version,
        "title": deliverable.title,
        "owner": deliverable.owner_id,
        "start_date": deliverable.start_date,
        "due_date": deliverable.due_date,
    }
    data = dict(current)
    for name in replan:
        data[name] = getattr(patch, name)
    if "title" in replan and data["title"] is None:
        raise ApiError(422, "invalid", _("A title is required."), {"title": [_("Required.")]})
    if data["start_date"] is None or data["due_date"] is None:
        raise ApiError(
            422, "invalid", _("A deliverable keeps its dates."), {"due_date": [_("Required.")]}
        )
    data["owner"] = data["owner"] or ""
    form = DeliverableForm(data, initial=current, kickoff=deliverable.pilot.kickoff_date)
    if not form.is_valid():
        raise form_invalid(form)
    return form


# --- KPI readings -------------------------------------------------------------------------


class ReadingOut(Schema):
    id: int
    pilot_id: int
    taken_on: date
    value: Decimal
    note: str
    recorded_by: PersonOut | None
    recorded_at: datetime


ReadingPage = page_schema(ReadingOut, "ReadingPage")


class ReadingIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", title="ReadingIn")

    taken_on: date = Field(description="The day it was measured; not in the future.")
    value: Decimal = Field(max_digits=14, decimal_places=2, description="In the metric's unit.")
    note: text(500) = ""


def _reading_row(reading: KpiReading) -> dict:
    return {
        "id": reading.pk,
        "pilot_id": reading.pilot_id,
        "taken_on": reading.taken_on,
        "value": reading.value,
        "note": reading.note,
        "recorded_by": person(reading.recorded_by),
        "recorded_at": reading.recorded_at,
    }


@router.get(
    "/pilots/{int:pilot_id}/readings",
    response=responses({200: ReadingPage}),
    tags=["KPI readings"],
    summary="List a pilot's KPI readings",
)
def reading_list(request: HttpRequest, pilot_id: Id, filters: Query[PageQuery]):
    """Readings of the pilot's success metric, in the order they were recorded."""
    pilot = get_pilot_for_user(request.auth, pilot_id)
    readings = KpiReading.objects.filter(pilot=pilot).select_related("recorded_by")
    return page(readings, filters, name=f"readings.{pilot.pk}", row=_reading_row)


@router.post(
    "/pilots/{int:pilot_id}/readings",
    response=responses({201: ReadingOut}, WRITE_ERRORS),
    tags=["KPI readings"],
    summary="Record a KPI reading",
    openapi_extra=body_schema(ReadingIn),
)
def reading_add(request: HttpRequest, pilot_id: Id):
    """The pilot's programme manager, sponsor and production owner record readings of its
    success metric; the metric must be named first (409 otherwise)."""
    pilot = get_pilot_for_readings(request.auth, pilot_id)
    reading = parse_body(request, ReadingIn)
    form = KpiReadingForm(
        {"taken_on": reading.taken_on, "value": reading.value, "note": reading.note}
    )
    if not form.is_valid():
        raise form_invalid(form)
    recorded = value.kpi_record(pilot=pilot, actor=request.auth, **form.cleaned_data)
    return Status(201, _reading_row(recorded))


# --- the portfolio ------------------------------------------------------------------------


class StageCount(Schema):
    stage: str
    label: str
    count: int


class RagCounts(Schema):
    red: int
    amber: int
    green: int


class StuckPilot(Schema):
    id: int
    reference: str
    name: str
    reasons: list[str]


class PortfolioOut(Schema):
    pilots: int
    production_share: int = Field(description="Percent of these pilots in production.")
    overdue: int = Field(description="Overdue deliverables of running pilots.")
    cost_12m: Decimal | None = Field(description="12-month production cost of those costed.")
    costed: int
    triaged: int
    last_triage_on: date | None
    overridden: int = Field(description="Launched without their five intake decisions.")
    funnel: list[StageCount]
    rag: RagCounts
    stuck: list[StuckPilot] = Field(description="In purgatory, the most stuck first.")
    filters: list[str] = Field(description="The filters applied, in words.")


class PortfolioFilters(Schema):
    q: SearchText | None = None
    unit: SearchText | None = Field(None, description="A business unit.")
    stage: choice(portfolio.Stage) | None = None
    rag: Literal["red", "amber", "green", "stuck"] | None = None
    pm: str | None = Field(
        None,
        pattern=r"^(any|[1-9][0-9]{0,17})$",
        description="A programme manager's user id, or `any`. A programme manager sees "
        "their own pilots unless they ask otherwise, as on the portfolio page.",
    )


@router.get(
    "/portfolio",
    response=responses({200: PortfolioOut}),
    tags=["Portfolio"],
    summary="The portfolio summary",
)
def portfolio_summary(request: HttpRequest, filters: Query[PortfolioFilters]):
    """The funnel, RAG counts, costs and the pilots in purgatory, for the programme office
    and leadership (others get 403), read exactly as the portfolio page reads them.
    Filters by other parts of Ninety (e.g. `ai_act_class`) are accepted by name."""
    data = QueryDict(mutable=True)
    for name, given in filters.model_dump(exclude_none=True).items():
        data[name] = "" if (name, given) == ("pm", "any") else given
    for name in portfolio.facets():
        if name in request.GET:
            data[name] = request.GET[name][:100]
    form = portfolio_read.filter_form(request.auth, data)
    if not form.is_valid():
        raise form_invalid(form)
    read = portfolio_read.read(request.auth, data, form)
    summary = portfolio.summarise(read.rows)
    return {
        "pilots": summary.pilots,
        "production_share": summary.production_share,
        "overdue": summary.overdue,
        "cost_12m": summary.cost_12m,
        "costed": summary.costed,
        "triaged": summary.triaged,
        "last_triage_on": summary.last_triage_on,
        "overridden": summary.overridden,
        "funnel": [
            {"stage": stage.value, "label": str(stage.label), "count": count}
            for stage, count in summary.funnel
        ],
        "rag": {rag.value: summary.rag[rag.value] for rag in portfolio.Rag},
        "stuck": [
            {
                "id": row.pk,
                "reference": row.reference,
                "name": row.name,
                "reasons": row.stuck_reasons,
            }
            for row in summary.stuck
        ],
        "filters": portfolio_read.filter_summary(form),
    }
