"""The method: versioned playbooks, their phases, deliverable templates and gate criteria.

This app knows nothing of pilots or governance (see DESIGN.md, dependency rule). A
published playbook is immutable: running pilots point at the version they launched with.
"""

from django.db import models
from django.db.models import Q


class Dimension(models.TextChoices):
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    DATA = "data", "Data"
    MODEL = "model", "Model"
    GOVERNANCE = "governance", "Governance"
    TEAM = "team", "Team"
    ORGANISATION = "organisation", "Organisation"


class DeliverableKind(models.TextChoices):
    ACTIVITY = "activity", "Workstream activity"
    PHASE_DELIVERABLE = "phase_deliverable", "Phase deliverable"
    READINESS_CHECK = "readiness_check", "Readiness check"


class ReadinessArea(models.TextChoices):
    NONE = "", "—"
    TECHNICAL = "technical", "Technical"
    OPERATIONAL = "operational", "Operational"
    ORGANISATIONAL = "organisational", "Organisational"


class SignerRole(models.TextChoices):
    """Who signs a phase gate. `leadership_if_high_risk` applies only to high-risk pilots."""

    PRODUCTION_OWNER = "production_owner", "Production owner"
    PROGRAMME_MANAGER = "programme_manager", "Programme manager"
    GOVERNANCE_REVIEWER = "governance_reviewer", "Governance reviewer"
    LEADERSHIP_IF_HIGH_RISK = "leadership_if_high_risk", "Leadership (high-risk pilots)"


class PlaybookQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Playbook.Status.PUBLISHED)


class Playbook(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

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
        help_text="Open work overdue by more than this many days is escalated to the "
        "programme manager and the production owner.",
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
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    @classmethod
    def default(cls) -> "Playbook | None":
        return cls.objects.published().filter(is_default=True).first()


class Phase(models.Model):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="phases")
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
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name} (days {self.start_day}-{self.end_day})"


class DeliverableTemplate(models.Model):
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="templates")
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
        ]

    def __str__(self) -> str:
        return self.title


class GateCriterion(models.Model):
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="gate_criteria")
    order = models.PositiveSmallIntegerField()
    statement = models.CharField(max_length=300)

    class Meta:
        ordering = ["phase__number", "order"]
        verbose_name_plural = "gate criteria"
        constraints = [
            models.UniqueConstraint(fields=["phase", "order"], name="criterion_order_per_phase"),
        ]

    def __str__(self) -> str:
        return self.statement
