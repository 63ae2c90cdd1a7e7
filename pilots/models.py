"""The work: pilots, the runs of their phases, and the deliverables people own and tick."""

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _

from playbook.models import DeliverableKind, DeliverableTemplate, Dimension, Phase, Playbook

OPEN_STATUSES = ("todo", "in_progress")


class PilotQuerySet(models.QuerySet):
    def for_list(self, today: date) -> "PilotQuerySet":
        """The pilot list's read: one query, whatever the number of pilots or deliverables.

        Each count is a correlated subquery rather than a JOIN + COUNT, so the counts do
        not multiply each other and the page stays one query per page of pilots.
        """
        deliverables = Deliverable.objects.filter(pilot=OuterRef("pk"))
        current_run = PhaseRun.objects.filter(
            pilot=OuterRef("pk"), planned_start__lte=today
        ).order_by("-number")
        return self.select_related("programme_manager", "playbook").annotate(
            total_count=_count(deliverables),
            closed_count=_count(deliverables.exclude(status__in=OPEN_STATUSES)),
            overdue_count=_count(deliverables.filter(status__in=OPEN_STATUSES, due_date__lt=today)),
            current_phase_number=Subquery(current_run.values("number")[:1]),
            current_phase_name=Subquery(current_run.values("name")[:1]),
        )

    def for_portfolio(self) -> "PilotQuerySet":
        """The portfolio's read of pilots: one row each, with its people, its 12-month
        production cost, its latest KPI reading, its last triage and any launch override,
        and the facets other apps register, each a scalar subquery (no JOIN that
        multiplies rows).

        `pilots.portfolio.rows` adds the two aggregates (deliverable counts, phase runs)
        and judges each row; see that module for the rules.
        """
        from pilots import portfolio

        cost = (
            CostLine.objects.filter(pilot=OuterRef("pk"))
            .order_by()
            .values("pilot")
            .annotate(total=Sum("annual_cost"))
            .values("total")
        )
        latest = KpiReading.objects.filter(pilot=OuterRef("pk")).order_by("-taken_on", "-pk")
        decisions = Decision.objects.filter(pilot=OuterRef("pk")).order_by("-decided_at")
        return self.select_related("programme_manager", "production_owner").annotate(
            launched_on=TruncDate("launched_at"),
            cost_12m=Subquery(cost, output_field=models.DecimalField()),
            latest_reading=Subquery(latest.values("value")[:1]),
            latest_reading_on=Subquery(latest.values("taken_on")[:1]),
            last_triage_on=TruncDate(Subquery(decisions.triage().values("decided_at")[:1])),
            override_reason=Subquery(decisions.overrides().values("rationale")[:1]),
            **portfolio.facet_annotations(),
        )


def _count(queryset: models.QuerySet) -> Subquery:
    counted = queryset.order_by().values("pilot").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


class Pilot(models.Model):
    class Status(models.TextChoices):
        INTAKE = "intake", _("Intake")
        ACTIVE = "active", _("Active")
        IN_PRODUCTION = "in_production", _("In production")
        PAUSED = "paused", _("Paused")
        KILLED = "killed", _("Stopped")

    reference = models.CharField(max_length=12, unique=True, editable=False)
    name = models.CharField(max_length=120)
    business_unit = models.CharField(max_length=80)
    problem = models.TextField(help_text=_("The business problem, in the words of the business."))
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="sponsored_pilots",
        null=True,
        blank=True,
    )
    production_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_pilots",
        null=True,
        blank=True,
        help_text=_("Whose team will run it once live. Not the sponsor."),
    )
    programme_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="managed_pilots"
    )
    playbook = models.ForeignKey(Playbook, on_delete=models.PROTECT, related_name="pilots")
    kickoff_date = models.DateField(help_text=_("Day 1 of the 90 days."))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INTAKE)
    chat_webhook_url = models.URLField(
        blank=True,
        help_text=_(
            "Optional Slack or Teams incoming webhook for gate and escalation events of this pilot."
        ),
    )
    # The production success metric: a business outcome, not a test-set score.
    success_metric = models.CharField(max_length=160, blank=True)
    success_unit = models.CharField(max_length=24, blank=True)
    success_baseline = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    success_target = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    success_target_date = models.DateField(null=True, blank=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    # Optimistic locking, as on deliverables: every write bumps it, and an edit based on
    # an older value is refused instead of silently undoing someone else's change.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PilotQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        indexes = [
            models.Index(fields=["status", "business_unit"]),
            # The portfolio and the pilot list filter by business unit alone.
            models.Index(fields=["business_unit"], name="pilot_business_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    @property
    def is_launched(self) -> bool:
        return self.launched_at is not None

    def day_number(self, today: date) -> int:
        """Day 1 is the kickoff date; before it the number is zero or negative."""
        return (today - self.kickoff_date).days + 1

    def date_of_day(self, day: int) -> date:
        return self.kickoff_date + timedelta(days=day - 1)


class PhaseRun(models.Model):
    class State(models.TextChoices):
        UPCOMING = "upcoming", _("Upcoming")
        ACTIVE = "active", _("Active")
        AWAITING_SIGNOFF = "awaiting_signoff", _("Awaiting sign-off")
        SIGNED_OFF = "signed_off", _("Signed off")

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="phase_runs")
    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="runs")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=80)
    planned_start = models.DateField()
    planned_end = models.DateField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.UPCOMING)
    signed_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pilot", "number"]
        constraints = [
            models.UniqueConstraint(fields=["pilot", "number"], name="phase_run_per_pilot"),
            models.CheckConstraint(
                condition=Q(planned_end__gte=models.F("planned_start")),
                name="phase_run_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pilot.reference} · {self.number}. {self.name}"


def _choice_label(choices: type[models.TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


class DeliverableQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def overdue_on(self, today: date):
        return self.open().filter(due_date__lt=today)

    def progress_by_phase(self, today: date) -> dict[int, dict[str, int]]:
        """Per phase run: how many deliverables, how many closed (done or waived), how many
        overdue. One grouped query, for answers that show progress without the rows."""
        rows = (
            self.order_by()
            .values("phase_run_id")
            .annotate(
                total=models.Count("pk"),
                closed=models.Count("pk", filter=~Q(status__in=OPEN_STATUSES)),
                overdue=models.Count("pk", filter=Q(status__in=OPEN_STATUSES, due_date__lt=today)),
            )
        )
        return {row.pop("phase_run_id"): row for row in rows}

    def for_pilot_page(self, pilot: "Pilot"):
        """Every deliverable of the pilot with its owner, for rows (their evidence comes
        from `attach_evidence`). In plan order within each phase; pilots.plan.build_plan
        sorts the phases (ordering by the phase's number here would cost a join)."""
        return self.filter(pilot=pilot).select_related("owner").order_by("order", "due_date", "pk")

    def for_my_work(self, user):
        """The user's open deliverables on running pilots, soonest first, for rows (their
        evidence comes from `attach_evidence`)."""
        return (
            self.open()
            .filter(owner=user, pilot__status=Pilot.Status.ACTIVE)
            .select_related("pilot", "phase_run")
            .order_by("due_date", "pilot__reference", "order", "pk")
        )


class Deliverable(models.Model):
    class Status(models.TextChoices):
        TODO = "todo", _("To do")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        WAIVED = "waived", _("Waived")

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="deliverables")
    phase_run = models.ForeignKey(PhaseRun, on_delete=models.CASCADE, related_name="deliverables")
    template = models.ForeignKey(
        DeliverableTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliverables",
        help_text=_("Empty for deliverables added to one pilot."),
    )
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    workstream = models.CharField(max_length=120)
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    kind = models.CharField(
        max_length=20, choices=DeliverableKind.choices, default=DeliverableKind.ACTIVITY
    )
    mandatory = models.BooleanField(default=False)
    evidence_required = models.BooleanField(default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliverables",
    )
    start_date = models.DateField()
    due_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.TODO)
    waived_reason = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Optimistic locking: every write bumps it; a write based on an older value is refused.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DeliverableQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "order", "pk"]
        indexes = [
            models.Index(fields=["owner", "status", "due_date"], name="deliverable_my_work"),
            models.Index(fields=["pilot", "status", "due_date"], name="deliverable_pilot_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__gte=models.F("start_date")),
                name="deliverable_dates_in_order",
            ),
            models.CheckConstraint(
                condition=~Q(status="waived") | ~Q(waived_reason=""),
                name="waiver_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(done_at__isnull=False),
                name="done_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_custom(self) -> bool:
        return self.template_id is None

    # Django's generated get_FOO_display() rebuilds a dict of every choice on each call,
    # which hashes (and so translates) each lazy label: a pilot page with 60 rows paid for
    # a thousand catalogue lookups. An enum lookup translates only the label it returns.
    # Like Django's, an unknown value (an unsaved, invalid instance) shows as itself.
    def get_status_display(self) -> str:
        return _choice_label(self.Status, self.status)

    def get_dimension_display(self) -> str:
        return _choice_label(Dimension, self.dimension)

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_date < today

    def is_due_soon(self, today: date) -> bool:
        """Open, not yet overdue, and due within the configured window."""
        horizon = today + timedelta(days=settings.NINETY_DUE_SOON_DAYS)
        return self.is_open and today <= self.due_date <= horizon


class Evidence(models.Model):
    """A link, a note or an uploaded file proving a deliverable; added when ticking.

    An uploaded file is stored under a generated name below MEDIA_ROOT (never under the
    static files) and only served through the access-checked download view; its type
    was checked by its content (pilots.uploads) and its SHA-256 proves a copy later.
    """

    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="evidence")
    url = models.URLField(max_length=500, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    file = models.FileField(upload_to="evidence/%Y/%m/", blank=True, max_length=200)
    file_name = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("The uploaded file's name, as the uploader had it."),
    )
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, help_text=_("SHA-256 of the stored file."))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name_plural = _("evidence")
        constraints = [
            models.CheckConstraint(
                condition=~Q(url="", note="", file=""), name="evidence_not_empty_or_file"
            ),
            models.CheckConstraint(
                condition=Q(file="") | (~Q(sha256="") & ~Q(file_name="")),
                name="evidence_file_has_checksum",
            ),
        ]

    def __str__(self) -> str:
        return self.url or self.file_name or self.note[:60]


def attach_evidence(rows: list[Deliverable], evidence: QuerySet[Evidence]) -> list[Deliverable]:
    """Give each row its evidence, oldest first, as `row.evidence_items`, from one query
    of `evidence` (which must cover the rows). prefetch_related("evidence") did the same
    for a pilot page's sixty rows in three times the time: it sends every row's id and
    keeps books per row."""
    by_row: dict[int, list[Evidence]] = {row.pk: [] for row in rows}
    for item in evidence:
        if item.deliverable_id in by_row:
            by_row[item.deliverable_id].append(item)
    for row in rows:
        row.evidence_items = by_row[row.pk]
    return rows


# Intake and decisions, reminders, notifications and value live in their own modules;
# imported here so Django finds them.
from pilots.intake_models import (  # noqa: E402, F401
    Decision,
    DecisionKind,
    Intake,
    Operation,
    RolloutDecision,
    RolloutStep,
)
from pilots.notifications_models import (  # noqa: E402, F401
    CalendarFeed,
    Notification,
    NotificationKind,
    NotificationSettings,
    ReminderLog,
)
from pilots.report_models import PortfolioReport  # noqa: E402, F401
from pilots.value_models import CostCategory, CostLine, KpiReading  # noqa: E402, F401
