"""What the playbook views share: the page context and the answer to a refused change."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRefresh

from playbook.access import can_edit_playbooks, get_playbook_for_user
from playbook.editor import PlaybookPage, load_page
from playbook.models import Playbook, PlaybookLocked

DETAIL = "playbook/detail.html"


def page_context(request: HttpRequest, pk: int) -> dict:
    """Everything the playbook page and its partials need."""
    playbook = get_playbook_for_user(request.user, pk, Playbook.objects.for_editor())
    page: PlaybookPage = load_page(playbook)
    can_edit = can_edit_playbooks(request.user)
    return {
        "playbook": playbook,
        "page": page,
        "phases": page.phases,
        "can_edit": can_edit,
        "editing": can_edit and playbook.is_draft,
    }


def form_data(request: HttpRequest):
    """Bind a form on any POST, even an empty one (an empty QueryDict is falsy)."""
    return request.POST if request.method == "POST" else None


def anchor(playbook: Playbook, element_id: str = "") -> str:
    url = reverse("playbook-detail", args=[playbook.pk])
    return f"{url}#{element_id}" if element_id else url


def locked_response(request: HttpRequest, exc: PlaybookLocked) -> HttpResponse:
    """A change aimed at a published version: nothing changed, and the page says why."""
    if request.htmx:
        messages.error(request, str(exc))
        response = HttpResponseClientRefresh()
        response.status_code = 409
        return response
    return render(
        request, "playbook/refused.html", {"playbook": exc.playbook, "reason": str(exc)}, status=409
    )
