"""Before and after the 90 days: the intake answers, the decisions taken about a pilot,
its phased rollout and, once live, how it is operated. Imported into pilots.models.

The five intake decisions live partly on the pilot (production owner, success metric),
partly here (governance engaged, workforce plan), and partly in the cost lines of
pilots.value_models; `pilots.intake.readiness` reads them together.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Intake(models.Model):
    """The answers to the intake questions that are not fields of the pilot itself.

    One row per pilot, created the first time someone answers; a pilot without one has
    answered none of these.
    """

    pilot = models.OneToOneField("pilots.Pilot", on_delete=models.CASCADE, related_name="intake")
    # 3. Governance engaged before the pilot.
    governance_engaged_on = models.DateField(null=True, blank=True)
    governance_engaged_with = models.CharField(max_length=300, blank=True)
    governance_early_read = models.TextField(blank=True)
    # 4. Production deployment costed: the cost lines, weighed against this.
    expected_yearly_benefit = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    # 5. Workforce change planned.
    workforce_plan = models.TextField(blank=True)
    # Also asked up front.
    expected_scale = models.TextField(blank=True)
    integrations = models.TextField(blank=True)
    acceptable_error_rate = models.CharField(max_length=300, blank=True)
    known_shortcuts = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_yearly_benefit__isnull=True)
                | Q(expected_yearly_benefit__gte=0),
                name="intake_benefit_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Intake of pilot {self.pilot_id}"


class DecisionKind(models.TextChoices):
    START = "start", _("Started")
    OVERRIDE = "override", _("Started without every intake decision")
    CONTINUE = "continue", _("Continue")
    PAUSE = "pause", _("Paused")
    KILL = "kill", _("Stopped")
    RESUME = "resume", _("Resumed")
    GO_LIVE = "go_live", _("Went live")


# The decisions a triage may record.
TRIAGE_KINDS = (DecisionKind.CONTINUE, DecisionKind.PAUSE, DecisionKind.KILL)


class DecisionQuerySet(models.QuerySet):
    def triage(self):
        return self.filter(in_triage=True)

    def overrides(self):
        return self.filter(kind=DecisionKind.OVERRIDE)


class Decision(models.Model):
    """A decision about a pilot's course, with the reason given. Never edited: the log is
    the pilot's history of starts, triages, pauses and go-live."""

    pilot = models.ForeignKey("pilots.Pilot", on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(max_length=12, choices=DecisionKind.choices)
    rationale = models.TextField(blank=True)
    # Made in a triage of running pilots; `answers` then holds which of the four triage
    # questions had an answer at that moment.
    in_triage = models.BooleanField(default=False)
    # Facts of the moment: intake decisions missing at an override, the triage answers,
    # the days a resume shifted the plan.
    details = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField()

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["pilot", "kind", "-decided_at"], name="decision_latest")]
        constraints = [
            # Every decision but a plain start says why.
            models.CheckConstraint(
                condition=Q(kind=DecisionKind.START) | ~Q(rationale=""),
                name="decision_has_rationale",
            ),
            models.CheckConstraint(
                condition=Q(in_triage=False) | Q(kind__in=[k.value for k in TRIAGE_KINDS]),
                name="triage_decision_kind",
            ),
        ]

    def __str__(self) -> str:
        # The audit trail records this text (object_repr): it stays in the source language.
        with translation.override(None):
            kind = str(self.get_kind_display())
        return f"{kind} ({self.decided_at:%Y-%m-%d})"


class RolloutDecision(models.TextChoices):
    PENDING = "pending", _("Not decided")
    GO = "go", _("Go")
    NO_GO = "no_go", _("No-go")


class RolloutStep(models.Model):
    """One step of the phased rollout in the Scale phase: a share of the users, a planned
    date, and the go/no-go taken on the checks made."""

    pilot = models.ForeignKey(
        "pilots.Pilot", on_delete=models.CASCADE, related_name="rollout_steps"
    )
    order = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=80)
    percent_from = models.PositiveSmallIntegerField()
    percent_to = models.PositiveSmallIntegerField()
    planned_on = models.DateField()
    actual_on = models.DateField(null=True, blank=True)
    decision = models.CharField(
        max_length=8, choices=RolloutDecision.choices, default=RolloutDecision.PENDING
    )
    checks = models.TextField(blank=True, help_text=_("What was checked before deciding."))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pilot", "order"]
        constraints = [
            models.UniqueConstraint(fields=["pilot", "order"], name="rollout_step_order"),
            models.CheckConstraint(
                condition=Q(percent_from__gte=1)
                & Q(percent_from__lte=F("percent_to"))
                & Q(percent_to__lte=100),
                name="rollout_share_in_range",
            ),
            models.CheckConstraint(
                condition=Q(decision=RolloutDecision.PENDING)
                | (Q(decided_at__isnull=False) & ~Q(checks="")),
                name="rollout_decision_has_checks",
            ),
            models.CheckConstraint(
                condition=Q(decision=RolloutDecision.GO) | Q(actual_on__isnull=True),
                name="rollout_actual_date_only_on_go",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.share})"

    @property
    def share(self) -> str:
        if self.percent_from == self.percent_to:
            return f"{self.percent_to} %"
        return f"{self.percent_from}–{self.percent_to} %"

    @property
    def is_open(self) -> bool:
        return self.decision == RolloutDecision.PENDING


class ReviewCadence(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Every six months")
    YEARLY = "yearly", _("Yearly")


CADENCE_MONTHS = {
    ReviewCadence.MONTHLY: 1,
    ReviewCadence.QUARTERLY: 3,
    ReviewCadence.HALF_YEARLY: 6,
    ReviewCadence.YEARLY: 12,
}


class Operation(models.Model):
    """How a pilot in production is run: who owns it, where the runbook is, who answers
    at night, and how often it is reviewed. Written by the go-live decision."""

    pilot = models.OneToOneField("pilots.Pilot", on_delete=models.CASCADE, related_name="operation")
    operating_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="operated_pilots"
    )
    runbook_url = models.URLField(max_length=500)
    support_model = models.TextField()
    on_call_contact = models.CharField(max_length=200)
    review_cadence = models.CharField(max_length=12, choices=ReviewCadence.choices)
    live_since = models.DateField()
    last_reviewed_on = models.DateField(null=True, blank=True)
    next_review_on = models.DateField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(next_review_on__gt=F("live_since")), name="review_after_go_live"
            ),
        ]

    def __str__(self) -> str:
        return f"Operation of pilot {self.pilot_id}"
