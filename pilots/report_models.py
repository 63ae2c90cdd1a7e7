"""Portfolio reports: board-pack PDFs rendered in the background and kept for download.

A report of a thousand pilots takes WeasyPrint longer than a web request should wait, so
the page asks for one, a worker renders it, and the person downloads the stored bytes.
Imported into pilots.models.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _


class PortfolioReport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portfolio_reports"
    )
    # The portfolio page's filters as they were asked for (its URL query string).
    query = models.CharField(max_length=2000, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    pilots = models.PositiveIntegerField(null=True, blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    error = models.TextField(blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(default=timezone.now)  # again on a retry
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["requested_by", "-requested_at"], name="report_latest")]

    def __str__(self) -> str:
        # Kept in the source language, like every object's text in the audit trail.
        with translation.override(None):
            status = str(self.get_status_display())
        return f"Portfolio report {self.pk} ({status})"

    @property
    def filename(self) -> str:
        return f"ninety-portfolio-{self.requested_at:%Y-%m-%d}-{self.pk}.pdf"
