"""What a pilot is worth and what it will cost: readings of its success metric and the
lines of its 12-month production cost. Imported into pilots.models.

The metric itself (name, unit, baseline, target, target date) lives on the pilot: it is
one of the intake decisions. Readings and cost lines are many per pilot.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class KpiReading(models.Model):
    """One measured value of the pilot's success metric on a day."""

    pilot = models.ForeignKey("pilots.Pilot", on_delete=models.CASCADE, related_name="readings")
    taken_on = models.DateField()
    value = models.DecimalField(max_digits=14, decimal_places=2)
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_on", "-pk"]
        indexes = [models.Index(fields=["pilot", "-taken_on"], name="reading_latest")]

    def __str__(self) -> str:
        return f"{self.pilot_id}: {self.value} on {self.taken_on}"


class CostCategory(models.TextChoices):
    LICENCES = "licences", _("Licences and model usage")
    INFRASTRUCTURE = "infrastructure", _("Infrastructure")
    INTEGRATION = "integration", _("Integration")
    MONITORING = "monitoring", _("Monitoring")
    RETRAINING = "retraining", _("Retraining and evaluation")
    STAFF = "staff", _("People (FTE)")


class CostLine(models.Model):
    """A line of what running the pilot in production costs over its first 12 months.

    A people line may be given as FTE × yearly rate; `annual_cost` then holds the product,
    so every total is a plain SUM in the database.
    """

    pilot = models.ForeignKey("pilots.Pilot", on_delete=models.CASCADE, related_name="cost_lines")
    category = models.CharField(max_length=16, choices=CostCategory.choices)
    description = models.CharField(max_length=200, blank=True)
    fte = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    fte_annual_rate = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Cost of one FTE a year."),
    )
    annual_cost = models.DecimalField(
        max_digits=14, decimal_places=2, help_text=_("Cost over the first 12 months in production.")
    )

    class Meta:
        ordering = ["pilot", "category", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(annual_cost__gte=0), name="cost_not_negative"),
        ]

    def __str__(self) -> str:
        # The audit trail records this text (object_repr): it stays in the source language.
        with translation.override(None):
            category = str(self.get_category_display())
        return f"{category}: {self.annual_cost}"

    def save(self, *args, **kwargs) -> None:
        # Keep the stored total true to FTE × rate whichever form or admin wrote the line.
        if self.fte is not None and self.fte_annual_rate is not None:
            self.annual_cost = (self.fte * self.fte_annual_rate).quantize(Decimal("0.01"))
        super().save(*args, **kwargs)
