"""Celery tasks of governance: thin, they take ids and call a service."""

import logging

from celery import shared_task

MAX_RETRIES = 5


@shared_task(
    bind=True, acks_late=True, max_retries=MAX_RETRIES, name="governance.render_signoff_document"
)
def render_signoff_document(self, document_id: int) -> str:
    from governance import documents

    try:
        document = documents.render_and_store(document_id)
    except Exception as exc:
        # In-process (embedded default) there is no retry: the gate is signed already; the
        # failure is recorded on the document and shown on the gate page, with a retry.
        will_retry = not self.request.is_eager and self.request.retries < MAX_RETRIES
        documents.document_record_failure(
            document_id=document_id,
            error=f"{type(exc).__name__}: {exc}",
            attempt=self.request.retries + 1,
            will_retry=will_retry,
        )
        logging.getLogger(__name__).exception("Sign-off document %s failed", document_id)
        if not will_retry:
            return "failed"
        raise self.retry(exc=exc, countdown=min(600, 30 * 2**self.request.retries)) from exc
    return document.sha256


@shared_task(name="governance.requeue_stale_documents")
def requeue_stale_documents() -> int:
    """Every few minutes (see CELERY_BEAT_SCHEDULE): queue again the renders a lost task
    left pending."""
    from governance import documents

    return len(documents.documents_requeue_stale())


@shared_task(
    name="governance.send_webhook",
    acks_late=True,
    reject_on_worker_lost=True,
    # Both well inside the send's lease (governance.webhooks_send.LEASE). The soft limit
    # raises inside the POST, which records the attempt as failed.
    soft_time_limit=30,
    time_limit=45,
)
def send_webhook(delivery_id: int) -> str:
    """Send one webhook delivery. No Celery retry: a failure is recorded on the row with
    its next attempt time, and the beat (requeue_webhooks) queues it again then."""
    from governance import webhooks_send

    return webhooks_send.deliver(delivery_id)


@shared_task(name="governance.requeue_webhooks")
def requeue_webhooks() -> int:
    """Every minute (see CELERY_BEAT_SCHEDULE): queue again the webhook deliveries due for
    a retry, and those a lost message or a crashed worker left behind."""
    from governance import webhooks_send

    return len(webhooks_send.requeue_due())
