"""Celery tasks of pilots: thin, they take ids and call a service."""

from celery import shared_task

from pilots import reminders


@shared_task(name="pilots.scan_reminders")
def scan_reminders() -> dict:
    """Run by the beat every few minutes; see pilots.reminders."""
    result = reminders.scan()
    return {"due": result.due, "claimed": result.claimed, "requeued": result.requeued}


@shared_task(
    bind=True,
    name="pilots.send_reminder",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=6,
)
def send_reminder(self, log_id: int) -> str:
    try:
        return reminders.deliver(log_id)
    except Exception as exc:
        if self.request.is_eager:
            return "failed"  # recorded on the row; the next scan queues it again
        # 30 s, 1 min, 2 min, ... up to 30 min between attempts.
        raise self.retry(exc=exc, countdown=min(1800, 30 * 2**self.request.retries)) from exc
