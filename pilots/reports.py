"""The portfolio PDF report, a board pack: asked for on the page, rendered by a worker,
downloaded from the stored bytes.

1. `report_request` records who asked for which filters and queues the rendering once
   the request's transaction commits (in the embedded default it runs right then).
2. `report_render` reads the portfolio as that person sees it with those filters, in their
   language (pilots.language.language_of), renders the charts, the purgatory list and every
   row through WeasyPrint, and stores the bytes. Running it twice renders once: only a
   queued report is taken.
3. A report still queued after STALE_AFTER (its task lost with a broker) is queued again
   by the beat (`reports_requeue_stale`), and can be from its page.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pilots import charts, portfolio, portfolio_read
from pilots.language import language_of
from pilots.models import PortfolioReport
from pilots.pdf import html_to_pdf

log = logging.getLogger(__name__)

REPORT_CHART = {"width": 380, "height": 220}  # a third of a landscape A4 page, text legible
STALE_AFTER = timedelta(minutes=10)


def report_html(read: portfolio_read.PortfolioRead, author, generated_at) -> str:
    summary = portfolio.summarise(read.rows)
    trend = charts.portfolio_trend([row.pk for row in read.rows], read.today)
    return render_to_string(
        "pdf/portfolio.html",
        {
            "rows": read.rows,
            "summary": summary,
            "funnel": charts.bars((s.value, s.label, n) for s, n in summary.funnel),
            "burn_up": charts.burn_up_chart(
                trend, _("Deliverables planned and done"), **REPORT_CHART
            ),
            "overdue_trend": charts.overdue_chart(trend, _("Overdue deliverables"), **REPORT_CHART),
            "facets": portfolio.facets(),
            "filters": portfolio_read.filter_summary(read.form),
            "rag_rules": portfolio_read.rag_rules(),
            "today": read.today,
            "generated_at": generated_at,
            "author": author,
        },
    )


def report_request(*, user, data: QueryDict) -> PortfolioReport:
    """Ask for a report of the portfolio as `user` sees it with these filters."""
    form = portfolio_read.filter_form(user, data)  # refuses people without access
    kept = QueryDict(mutable=True)
    for name in form.fields:
        if name in form.data:
            kept.setlist(name, form.data.getlist(name))
    report = PortfolioReport.objects.create(requested_by=user, query=kept.urlencode())
    _queue(report)
    return report


def _queue(report: PortfolioReport) -> None:
    from pilots.tasks import render_portfolio_report

    transaction.on_commit(lambda: render_portfolio_report.delay(report.pk))


def report_render(report_id: int) -> str:
    report = (
        PortfolioReport.objects.select_related("requested_by")
        .filter(pk=report_id, status=PortfolioReport.Status.QUEUED)
        .first()
    )
    if report is None:
        return "not queued"
    try:
        # A worker has no request: the report speaks the language of whoever asked for it.
        with translation.override(language_of(report.requested_by)):
            read = portfolio_read.read(report.requested_by, QueryDict(report.query))
            html = report_html(read, report.requested_by, timezone.localtime())
        pdf = html_to_pdf(html)
    except Exception as exc:  # recorded and shown on the report's page; never lost
        log.exception("portfolio report %s failed", report_id)
        _finish(report, PortfolioReport.Status.FAILED, error=f"{type(exc).__name__}: {exc}")
        return "failed"
    _finish(report, PortfolioReport.Status.READY, pdf=pdf, pilots=len(read.rows))
    return "ready"


def _finish(report: PortfolioReport, status: str, **fields) -> None:
    # Conditional: a second run of the same task that rendered meanwhile changes nothing.
    PortfolioReport.objects.filter(pk=report.pk, status=PortfolioReport.Status.QUEUED).update(
        status=status, finished_at=timezone.now(), **fields
    )


def can_retry(report: PortfolioReport) -> bool:
    if report.status == PortfolioReport.Status.FAILED:
        return True
    stale = report.queued_at < timezone.now() - STALE_AFTER
    return report.status == PortfolioReport.Status.QUEUED and stale


def report_retry(*, report: PortfolioReport) -> bool:
    """Queue a failed or long-stuck report again; False when it needs no retry."""
    if not can_retry(report):
        return False
    PortfolioReport.objects.filter(pk=report.pk).update(
        status=PortfolioReport.Status.QUEUED, error="", queued_at=timezone.now()
    )
    _queue(report)
    return True


def reports_requeue_stale() -> list[int]:
    """Queue again every report still waiting STALE_AFTER after it was queued (its message
    lost with Redis, say). Each is stamped queued now by a conditional update first, so a
    second beat running at the same moment does not queue it twice."""
    cutoff = timezone.now() - STALE_AFTER
    requeued = []
    stale = PortfolioReport.objects.filter(
        status=PortfolioReport.Status.QUEUED, queued_at__lt=cutoff
    ).values_list("pk", flat=True)
    for pk in stale:
        claimed = PortfolioReport.objects.filter(
            pk=pk, status=PortfolioReport.Status.QUEUED, queued_at__lt=cutoff
        ).update(queued_at=timezone.now())
        if claimed:
            requeued.append(pk)
            _queue(PortfolioReport(pk=pk))
    return requeued
