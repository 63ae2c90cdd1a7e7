"""Downloading an evidence file: only for people who may read the pilot, always as an
attachment, never rendered by the browser."""

import logging

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from pilots.access import get_pilot_for_user
from pilots.models import Evidence

log = logging.getLogger(__name__)


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    pilot = get_pilot_for_user(request.user, pk)
    evidence = (
        Evidence.objects.filter(pk=evidence_pk, deliverable__pilot=pilot).exclude(file="").first()
    )
    if evidence is None:
        raise Http404("No such evidence file")
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        log.error(
            "evidence file missing from storage",
            extra={"event": "evidence.missing", "evidence_id": evidence.pk},
        )
        raise Http404("This evidence file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.file_name,
        content_type=evidence.content_type or "application/octet-stream",
    )
    # Whatever the bytes are, no browser runs them: a download, not sniffed, sandboxed.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
