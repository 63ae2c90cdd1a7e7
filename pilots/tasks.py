"""Celery tasks of pilots: thin, they take ids and call a service."""

from celery import shared_task
from django.conf import settings

from pilots import reminders


@shared_task(name="pilots.scan_reminders")
def scan_reminders() -> dict:
    """Run by the beat every few minutes; see pilots.reminders."""
    result = reminders.scan()
    return {"due": result.due, "claimed": result.claimed, "requeued": result.requeued}


@shared_task(
    name="pilots.send_reminder",
    acks_late=True,
    reject_on_worker_lost=True,
    # Both well inside the send's lease, so no second delivery takes the row over while
    # this one may still be sending. The soft limit raises inside the send, which
    # records the failure; the hard limit ends a send that ignores it.
    soft_time_limit=settings.NINETY_REMINDER_SEND_SOFT_TIME_LIMIT,
    time_limit=settings.NINETY_REMINDER_SEND_TIME_LIMIT,
)
def send_reminder(log_id: int) -> str:
    """Deliver one claimed reminder. No Celery retry: a failure is recorded on the row
    with its next attempt time and the scan queues it again, so no long countdown sits
    in Redis past the visibility timeout (where it would be handed out twice)."""
    return reminders.deliver(log_id)


@shared_task(name="pilots.render_portfolio_report", acks_late=True, reject_on_worker_lost=True)
def render_portfolio_report(report_id: int) -> str:
    """Render a board-pack PDF asked for on the portfolio page; see pilots.reports."""
    from pilots import reports

    return reports.report_render(report_id)


@shared_task(name="pilots.requeue_stale_reports")
def requeue_stale_reports() -> int:
    """Every few minutes (see CELERY_BEAT_SCHEDULE): queue again the portfolio reports a
    lost task left waiting."""
    from pilots import reports

    return len(reports.reports_requeue_stale())
