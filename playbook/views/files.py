"""Export a version as a YAML or JSON file, and import such a file as a new draft."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from playbook import services
from playbook.access import get_playbook_for_user, require_editor
from playbook.forms import ImportForm
from playbook.loading import (
    PlaybookFileError,
    decode_upload,
    dump_playbook,
    guess_format,
    playbook_as_data,
)
from playbook.models import Playbook
from playbook.views.common import anchor, form_data

CONTENT_TYPES = {"yaml": "application/yaml; charset=utf-8", "json": "application/json"}


@login_required
@require_GET
def playbook_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404("No such format")
    playbook = get_playbook_for_user(request.user, pk, Playbook.objects.for_editor())
    text = dump_playbook(playbook_as_data(playbook), fmt)
    response = HttpResponse(text, content_type=CONTENT_TYPES[fmt])
    filename = f"{playbook.slug}-v{playbook.version}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def playbook_import(request: HttpRequest) -> HttpResponse:
    require_editor(request.user)
    form = ImportForm(form_data(request), request.FILES if request.method == "POST" else None)
    problems = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = decode_upload(upload.read(1_000_001))
                playbook = services.playbook_import(
                    text=text, fmt=guess_format(upload.name, text), actor=request.user
                )
            except PlaybookFileError as exc:
                problems = exc.problems
            except services.DraftExists as exc:
                form.add_error(None, str(exc))
                return render(
                    request,
                    "playbook/import.html",
                    {"form": form, "problems": [], "draft": exc.draft},
                    status=409,
                )
            except services.ChangeRefused as exc:
                form.add_error(None, str(exc))
            else:
                if playbook.based_on:
                    message = _(
                        "Imported as draft version %(version)s, based on version %(base)s. "
                        "Check it, then publish it when it is ready."
                    ) % {"version": playbook.version, "base": playbook.based_on.version}
                else:
                    message = _(
                        "Imported as draft version %(version)s. Check it, then publish it when "
                        "it is ready."
                    ) % {"version": playbook.version}
                messages.success(request, message)
                return redirect(anchor(playbook))
    return render(
        request, "playbook/import.html", {"form": form, "problems": problems}, status=status
    )
