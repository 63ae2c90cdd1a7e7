"""Celery tasks of governance: thin, they take ids and call a service."""

import logging

from celery import shared_task
from django.db import transaction

from governance.models import SignOffDocument


@shared_task(bind=True, acks_late=True, max_retries=5, name="governance.render_signoff_document")
def render_signoff_document(self, document_id: int) -> str:
    from governance import documents

    try:
        document = documents.render_and_store(document_id)
    except Exception as exc:
        with transaction.atomic():
            SignOffDocument.objects.filter(pk=document_id).exclude(
                status=SignOffDocument.Status.READY
            ).update(status=SignOffDocument.Status.FAILED, error=str(exc)[:2000])
        if self.request.is_eager:
            # In-process (embedded default): the gate is signed already; the failure is
            # recorded on the document and shown on the gate page, with a retry.
            logging.getLogger(__name__).exception("Sign-off document %s failed", document_id)
            return "failed"
        raise self.retry(exc=exc, countdown=min(600, 30 * 2**self.request.retries)) from exc
    return document.sha256
