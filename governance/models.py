"""The control: EU AI Act classification, risks and their acceptance, phase-gate
sign-offs and their PDF documents, the independent review, and the audit chain.

Uses `pilots` and `playbook`; neither knows this app (DESIGN.md, dependency rule).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pilots.models import PhaseRun, Pilot
from playbook.models import SignerRole

USER = settings.AUTH_USER_MODEL


# --- EU AI Act classification -----------------------------------------------------------


class AiActClass(models.TextChoices):
    PROHIBITED = "prohibited", _("Prohibited practice")
    HIGH_RISK = "high_risk", _("High risk")
    LIMITED = "limited", _("Limited risk (transparency duties)")
    MINIMAL = "minimal", _("Minimal risk")


class OrganisationRole(models.TextChoices):
    PROVIDER = "provider", _("Provider (we build or place it on the market)")
    DEPLOYER = "deployer", _("Deployer (we use it under our authority)")


class ObligationTrigger(models.TextChoices):
    """What, beyond the class, makes a duty apply (see governance.classification.triggers).

    High-risk duties apply on different dates by route (Annex I products later than the
    Annex III areas), and each transparency duty follows from one kind of system only.
    """

    ANNEX_I = "annex_i", _("Annex I product safety")
    ANNEX_III = "annex_iii", _("Annex III area")
    ART_6_3 = "art_6_3", _("Annex III area, Art. 6(3) exception claimed")
    CHATBOT = "chatbot", _("Interacts with people")
    SYNTHETIC_CONTENT = "synthetic_content", _("Generates synthetic content")
    DEEP_FAKE = "deep_fake", _("Deep fakes or public-interest text")
    EMOTION_BIOMETRIC = "emotion_biometric", _("Emotion recognition or biometric categorisation")
    GPAI_MODEL_PROVIDER = "gpai_model_provider", _("We provide a general-purpose model")


class Obligation(models.Model):
    """One duty the Act places on a class (or on general-purpose models), with the date it
    applies from. Data, edited in the admin, because amendments move these dates.

    Which classifications it applies to: see governance.classification.obligation_applies.
    """

    class Applies(models.TextChoices):
        PROVIDER = "provider", _("Providers")
        DEPLOYER = "deployer", _("Deployers")
        BOTH = "both", _("Providers and deployers")

    risk_class = models.CharField(
        max_length=12,
        choices=AiActClass.choices,
        blank=True,
        help_text=_(
            "Leave empty for general-purpose model duties and for duties of every "
            "class but the prohibited one."
        ),
    )
    general_purpose = models.BooleanField(
        default=False, help_text=_("Applies because a general-purpose AI model is used.")
    )
    trigger = models.CharField(
        max_length=20,
        choices=ObligationTrigger.choices,
        blank=True,
        help_text=_("Applies only when the answers show this; empty for the whole class."),
    )
    applies_to = models.CharField(max_length=8, choices=Applies.choices, default=Applies.BOTH)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    reference = models.CharField(max_length=80, help_text=_("Article or annex, e.g. Art. 50."))
    applies_from = models.DateField()
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["risk_class", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"


class ClassificationQuerySet(models.QuerySet):
    def current(self):
        return self.filter(superseded_at__isnull=True)


class Classification(models.Model):
    """One run of the questionnaire. Reclassifying supersedes it; history is kept."""

    pilot = models.ForeignKey(Pilot, on_delete=models.PROTECT, related_name="classifications")
    answers = models.JSONField(default=dict)
    risk_class = models.CharField(max_length=12, choices=AiActClass.choices)
    reasons = models.JSONField(default=list, help_text=_("Why this class, in plain sentences."))
    uses_general_purpose_model = models.BooleanField(default=False)
    organisation_role = models.CharField(max_length=8, choices=OrganisationRole.choices)
    prepared_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = ClassificationQuerySet.as_manager()

    class Meta:
        ordering = ["-prepared_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot"],
                condition=Q(superseded_at__isnull=True),
                name="one_current_classification",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pilot.reference}: {self.get_risk_class_display()}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


# --- Risks and acceptance ---------------------------------------------------------------


class RiskCategory(models.TextChoices):
    PRIVACY = "privacy", _("Privacy")
    SECURITY = "security", _("Security")
    MODEL_QUALITY = "model_quality", _("Model quality")
    OPERATIONAL = "operational", _("Operational")
    COMPLIANCE = "compliance", _("Compliance")
    VENDOR = "vendor", _("Vendor")


def _one_to_five(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 1, f"{field}__lte": 5}), name=name
    )


class Risk(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MITIGATING = "mitigating", _("Being mitigated")
        CLOSED = "closed", _("Closed")

    pilot = models.ForeignKey(Pilot, on_delete=models.PROTECT, related_name="risks")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=4000)
    category = models.CharField(max_length=16, choices=RiskCategory.choices)
    likelihood = models.PositiveSmallIntegerField()
    impact = models.PositiveSmallIntegerField()
    mitigation = models.TextField(blank=True, max_length=4000)
    owner = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="owned_risks"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    residual_likelihood = models.PositiveSmallIntegerField()
    residual_impact = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["pilot", "-created_at"]
        constraints = [
            _one_to_five("likelihood", "risk_likelihood_1_5"),
            _one_to_five("impact", "risk_impact_1_5"),
            _one_to_five("residual_likelihood", "risk_residual_likelihood_1_5"),
            _one_to_five("residual_impact", "risk_residual_impact_1_5"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def residual_score(self) -> int:
        return self.residual_likelihood * self.residual_impact


class AcceptanceAuthority(models.TextChoices):
    GOVERNANCE_REVIEWER = "governance_reviewer", _("Governance reviewer")
    LEADERSHIP = "leadership", _("Leadership")


class RiskAcceptance(models.Model):
    """A residual risk accepted in writing, as the risk stood at that moment.

    When the risk changes afterwards the acceptance is reopened (it no longer covers what
    the risk now is) and the gate it belonged to shows that.
    """

    risk = models.ForeignKey(Risk, on_delete=models.PROTECT, related_name="acceptances")
    phase_run = models.ForeignKey(
        PhaseRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="acceptances",
        help_text=_("The gate this acceptance was given for."),
    )
    accepted_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    authority = models.CharField(max_length=20, choices=AcceptanceAuthority.choices)
    justification = models.TextField(max_length=4000)
    expires_on = models.DateField()
    risk_snapshot = models.JSONField(help_text=_("The risk as it was when accepted."))
    accepted_at = models.DateTimeField(auto_now_add=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-accepted_at", "-pk"]

    def __str__(self) -> str:
        return _("Acceptance of %(risk)s") % {"risk": self.risk}

    @property
    def is_open(self) -> bool:
        """Still in force: not reopened by a change to the risk."""
        return self.reopened_at is None


# --- Gates and sign-off -----------------------------------------------------------------


class GateReopening(models.Model):
    """Supersedes every live signature of a gate, with the reason on record."""

    phase_run = models.ForeignKey(PhaseRun, on_delete=models.PROTECT, related_name="reopenings")
    reopened_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=2000)
    reopened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reopened_at"]

    def __str__(self) -> str:
        return _("%(phase)s reopened") % {"phase": self.phase_run}


class GateSignature(models.Model):
    """A signature in one slot of a gate. Never edited or withdrawn; only superseded when
    the gate is reopened. At most one live signature per slot, enforced by the database,
    so two people signing the same slot at once get one success and one conflict."""

    phase_run = models.ForeignKey(PhaseRun, on_delete=models.PROTECT, related_name="signatures")
    slot = models.CharField(max_length=24, choices=SignerRole.choices)
    signer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="gate_signatures")
    statement = models.TextField(max_length=1000)
    signed_at = models.DateTimeField(auto_now_add=True)
    superseded_by = models.ForeignKey(
        GateReopening,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_signatures",
    )

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["phase_run", "slot"],
                condition=Q(superseded_by__isnull=True),
                name="one_live_signature_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return _("%(role)s signed %(phase)s") % {
            "role": self.get_slot_display(),
            "phase": self.phase_run,
        }


class GovernanceReview(models.Model):
    """The independent review near day 90. The reviewer is not on the pilot's team."""

    class Conclusion(models.TextChoices):
        PASSED = "passed", _("Requirements met")
        CONDITIONS = "conditions", _("Met, with conditions")
        FAILED = "failed", _("Not met")

    pilot = models.ForeignKey(Pilot, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reviewer_organisation = models.CharField(
        max_length=120, blank=True, help_text=_("e.g. Legal department, external auditor.")
    )
    performed_on = models.DateField()
    conclusion = models.CharField(max_length=12, choices=Conclusion.choices)
    findings = models.TextField(max_length=8000)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-performed_on", "-pk"]

    def __str__(self) -> str:
        return _("Governance review of %(pilot)s (%(date)s)") % {
            "pilot": self.pilot.reference,
            "date": self.performed_on,
        }


class SignOffDocument(models.Model):
    """The PDF packet of a signed gate. Its content is frozen when the gate closes, in the
    closing transaction (`html`, `content_sha256`, `audit_head`): a render task that runs
    late must still file the gate as it was signed, not as it stands by then. The PDF is
    rendered once from that HTML, after commit, and never re-rendered: downloads return
    these bytes, and the SHA-256 lets anyone verify a copy later."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being rendered")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Rendering failed")

    phase_run = models.ForeignKey(PhaseRun, on_delete=models.PROTECT, related_name="documents")
    generation = models.PositiveSmallIntegerField(
        default=1, help_text=_("1 for the first sign-off; +1 after each reopening.")
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    sha256 = models.CharField(
        max_length=64, blank=True, db_index=True, help_text=_("SHA-256 of the stored PDF bytes.")
    )
    content_sha256 = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("Fingerprint of the packet's content, printed in the PDF's footer."),
    )
    audit_head = models.CharField(
        max_length=64, blank=True, help_text=_("The audit chain head when the gate closed.")
    )
    html = models.TextField(
        blank=True, editable=False, help_text=_("The packet as it stood when the gate closed.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When rendering was last queued.")
    )
    rendered_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["phase_run", "generation"]
        constraints = [
            models.UniqueConstraint(
                fields=["phase_run", "generation"], name="one_document_per_signoff"
            ),
        ]

    def __str__(self) -> str:
        return _("Sign-off %(phase)s #%(generation)s") % {
            "phase": self.phase_run,
            "generation": self.generation,
        }


# --- Audit chain ------------------------------------------------------------------------


class AuditEvent(models.Model):
    """Append-only, hash-chained record of a state change.

    Each event's hash covers its content and the previous event's hash, so changing or
    removing any row breaks the chain from there on (`manage.py verify_audit` finds it).
    On PostgreSQL a trigger refuses UPDATE and DELETE on this table. References to users
    and pilots carry no database constraint: no cascade may ever touch an audit row.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        USER,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    verb = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200, blank=True)
    pilot = models.ForeignKey(
        Pilot,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
    )
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64, unique=True)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["pilot", "seq"], name="audit_pilot_seq")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.verb} {self.object_repr}"


# Outgoing webhooks live in their own module; imported here so Django finds them.
from governance.webhooks_models import (  # noqa: E402, F401
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventKind,
)
