"""The method: versioned playbooks, their phases, deliverable templates and gate criteria.

This app knows nothing of pilots or governance (see DESIGN.md, dependency rule). A
published playbook is immutable: running pilots point at the version they launched with,
and a change is made in a new draft version (see playbook.services).

Rows of a version are written once, when the version is built (loaded, cloned, imported);
after that only a draft's rows change, and only through playbook.services, which lock the
version's row and call `Playbook.ensure_editable()` first.
"""

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def new_key() -> str:
    """A short identifier that follows an item from one version to the next, so a diff can
    tell a changed item from a removed one and an added one."""
    return secrets.token_hex(4)


class PlaybookLocked(Exception):
    """The version is published or retired, so it cannot change; the message is fit to show."""

    def __init__(self, playbook: "Playbook"):
        params = {"version": playbook.version, "name": playbook.name}
        if playbook.status == Playbook.Status.RETIRED:
            message = gettext(
                "Version %(version)s of “%(name)s” is retired and cannot change. "
                "Start a new draft from it to make changes."
            )
        else:
            message = gettext(
                "Version %(version)s of “%(name)s” is published and cannot change. "
                "Start a new draft from it to make changes."
            )
        super().__init__(message % params)
        self.playbook = playbook


class Dimension(models.TextChoices):
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")
    DATA = "data", _("Data")
    MODEL = "model", _("Model")
    GOVERNANCE = "governance", _("Governance")
    TEAM = "team", _("Team")
    ORGANISATION = "organisation", _("Organisation")


class DeliverableKind(models.TextChoices):
    ACTIVITY = "activity", _("Workstream activity")
    PHASE_DELIVERABLE = "phase_deliverable", _("Phase deliverable")
    READINESS_CHECK = "readiness_check", _("Readiness check")


class ReadinessArea(models.TextChoices):
    NONE = "", "—"
    TECHNICAL = "technical", _("Technical")
    OPERATIONAL = "operational", _("Operational")
    ORGANISATIONAL = "organisational", _("Organisational")


class SignerRole(models.TextChoices):
    """Who signs a phase gate. `leadership_if_high_risk` applies only to high-risk pilots."""

    PRODUCTION_OWNER = "production_owner", _("Production owner")
    PROGRAMME_MANAGER = "programme_manager", _("Programme manager")
    GOVERNANCE_REVIEWER = "governance_reviewer", _("Governance reviewer")
    LEADERSHIP_IF_HIGH_RISK = "leadership_if_high_risk", _("Leadership (high-risk pilots)")


class PlaybookQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Playbook.Status.PUBLISHED)

    def visible_to_readers(self):
        """What anyone logged in may read: published and retired versions, never drafts."""
        return self.exclude(status=Playbook.Status.DRAFT)

    def with_counts(self):
        """For the list of playbooks: how big each version is, in one query."""
        return self.annotate(
            phase_count=models.Count("phases", distinct=True),
            template_count=models.Count("phases__templates", distinct=True),
        )

    def for_editor(self):
        """Everything the playbook page shows, in a constant number of queries."""
        return self.select_related("based_on").prefetch_related(
            models.Prefetch("phases", queryset=Phase.objects.order_by("number")),
            models.Prefetch(
                "phases__templates", queryset=DeliverableTemplate.objects.order_by("order")
            ),
            models.Prefetch(
                "phases__gate_criteria", queryset=GateCriterion.objects.order_by("order")
            ),
        )


class Playbook(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    slug = models.SlugField(max_length=80)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    is_default = models.BooleanField(default=False)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="derived"
    )
    length_days = models.PositiveSmallIntegerField(default=90)
    escalation_days = models.PositiveSmallIntegerField(
        default=3,
        help_text=_(
            "Open work overdue by more than this many days is escalated to the "
            "programme manager and the production owner."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PlaybookQuerySet.as_manager()

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="playbook_slug_version"),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_playbook"
            ),
            # Two drafts of one playbook would race for the same next version number.
            models.UniqueConstraint(
                fields=["slug"], condition=Q(status="draft"), name="one_draft_per_playbook"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @classmethod
    def default(cls) -> "Playbook | None":
        return cls.objects.published().filter(is_default=True).first()

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def ensure_editable(self) -> None:
        """Refuse any change to a version pilots may already run on."""
        if not self.is_draft:
            raise PlaybookLocked(self)


class Phase(models.Model):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="phases")
    key = models.CharField(max_length=40, default=new_key)
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=80)
    purpose = models.TextField(blank=True)
    start_day = models.PositiveSmallIntegerField()
    end_day = models.PositiveSmallIntegerField()
    # Roles (SignerRole values) whose signatures close this phase's gate.
    gate_signers = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["playbook", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["playbook", "number"], name="phase_number_per_playbook"
            ),
            models.CheckConstraint(
                condition=Q(start_day__gte=1) & Q(end_day__gte=models.F("start_day")),
                name="phase_days_in_order",
            ),
            models.UniqueConstraint(fields=["playbook", "key"], name="phase_key_per_playbook"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name} (days {self.start_day}-{self.end_day})"


class DeliverableTemplate(models.Model):
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="templates")
    key = models.CharField(max_length=40, default=new_key)
    order = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    guidance = models.TextField(blank=True)
    # The week-window workstream it belongs to, e.g. "Weeks 1-2 · Readiness assessment".
    workstream = models.CharField(max_length=120)
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    kind = models.CharField(
        max_length=20, choices=DeliverableKind.choices, default=DeliverableKind.ACTIVITY
    )
    readiness_area = models.CharField(
        max_length=16, choices=ReadinessArea.choices, default=ReadinessArea.NONE, blank=True
    )
    start_day = models.PositiveSmallIntegerField()
    due_day = models.PositiveSmallIntegerField()
    mandatory = models.BooleanField(default=False)
    evidence_required = models.BooleanField(default=False)
    suggested_owner_role = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["phase__number", "order"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "order"], name="template_order_per_phase"),
            models.CheckConstraint(
                condition=Q(start_day__gte=1) & Q(due_day__gte=models.F("start_day")),
                name="template_days_in_order",
            ),
            models.UniqueConstraint(fields=["phase", "key"], name="template_key_per_phase"),
        ]

    def __str__(self) -> str:
        return self.title


class GateCriterion(models.Model):
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="gate_criteria")
    key = models.CharField(max_length=40, default=new_key)
    order = models.PositiveSmallIntegerField()
    statement = models.CharField(max_length=300)

    class Meta:
        ordering = ["phase__number", "order"]
        verbose_name_plural = _("gate criteria")
        constraints = [
            models.UniqueConstraint(fields=["phase", "order"], name="criterion_order_per_phase"),
            models.UniqueConstraint(fields=["phase", "key"], name="criterion_key_per_phase"),
        ]

    def __str__(self) -> str:
        return self.statement
