"""Playbook versions: the list, a version's page (the editor, for a draft), and what is done
to a whole version: start a draft, edit its details, compare, publish, discard, retire."""

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from playbook import services
from playbook.access import (
    can_edit_playbooks,
    get_playbook_for_edit,
    get_playbook_for_user,
    readable_playbooks,
)
from playbook.diff import diff_versions
from playbook.editor import load_page
from playbook.forms import PlaybookSettingsForm, PublishForm
from playbook.loading import playbook_as_data
from playbook.models import Playbook, PlaybookLocked
from playbook.views.common import DETAIL, anchor, form_data, locked_response, page_context


@login_required
@require_GET
def playbook_list(request: HttpRequest) -> HttpResponse:
    versions = list(
        readable_playbooks(request.user)
        .select_related("based_on")
        .with_counts()
        .order_by("slug", "-version")
    )
    # One entry per playbook, its versions newest first; the default playbook leads.
    families = [list(rows) for _, rows in groupby(versions, key=lambda v: v.slug)]
    families.sort(key=lambda rows: (not any(v.is_default for v in rows), rows[0].name.lower()))
    return render(
        request,
        "playbook/list.html",
        {"families": families, "can_edit": can_edit_playbooks(request.user)},
    )


@login_required
@require_GET
def playbook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, DETAIL, page_context(request, pk))


@login_required
@require_POST
def playbook_clone(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_playbook_for_edit(request.user, pk)
    try:
        draft = services.playbook_clone(source=source, actor=request.user)
    except services.DraftExists as exc:
        messages.info(request, str(exc))
        return redirect(anchor(exc.draft))
    except services.ChangeRefused as exc:
        messages.error(request, str(exc))
        return redirect(anchor(source))
    messages.success(
        request,
        _(
            "Draft version %(version)s started from version %(source)s. "
            "Nothing changes for pilots until you publish it."
        )
        % {"version": draft.version, "source": source.version},
    )
    return redirect(anchor(draft))


@login_required
@require_http_methods(["GET", "POST"])
def playbook_settings(request: HttpRequest, pk: int) -> HttpResponse:
    playbook = get_playbook_for_edit(request.user, pk)
    try:
        playbook.ensure_editable()
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    form = PlaybookSettingsForm(form_data(request), instance=playbook)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.playbook_update(playbook=playbook, actor=request.user, **form.cleaned_data)
            except PlaybookLocked as exc:
                return locked_response(request, exc)
            except services.ChangeRefused as exc:
                form.add_error(None, str(exc))
            else:
                if request.htmx:
                    return render(request, f"{DETAIL}#head-response", page_context(request, pk))
                messages.success(request, _("Details saved."))
                return redirect(anchor(playbook))
    context = {"playbook": playbook, "form": form}
    if request.htmx:
        return render(request, f"{DETAIL}#settings-form", context, status=status)
    return render(
        request,
        "playbook/form.html",
        {
            **context,
            "heading": _("Playbook details"),
            "intro": _("The name and length pilots see when they choose a playbook."),
            "cancel_url": anchor(playbook),
        },
        status=400 if status == 422 else 200,
    )


@login_required
@require_GET
def playbook_diff(request: HttpRequest, pk: int) -> HttpResponse:
    playbook = get_playbook_for_user(request.user, pk, Playbook.objects.for_editor())
    base = playbook.based_on
    diff = None
    if base is not None:
        base = Playbook.objects.for_editor().get(pk=base.pk)
        diff = diff_versions(playbook_as_data(base), playbook_as_data(playbook))
    return render(
        request,
        "playbook/diff.html",
        {"playbook": playbook, "base": base, "diff": diff},
    )


@login_required
@require_http_methods(["GET", "POST"])
def playbook_publish(request: HttpRequest, pk: int) -> HttpResponse:
    playbook = get_playbook_for_edit(request.user, pk)
    try:
        playbook.ensure_editable()
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    initial = {"make_default": bool(playbook.based_on and playbook.based_on.is_default)}
    form = PublishForm(form_data(request), initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.playbook_publish(
                playbook=playbook,
                actor=request.user,
                make_default=form.cleaned_data["make_default"],
            )
        except PlaybookLocked as exc:
            return locked_response(request, exc)
        except services.PublishRefused as exc:
            form.add_error(None, str(exc))
            status = 400
        else:
            messages.success(
                request,
                _(
                    "Version %(version)s is published. New pilots can choose it; running "
                    "pilots keep the version they started with."
                )
                % {"version": playbook.version},
            )
            return redirect(anchor(playbook))
    full = Playbook.objects.for_editor().get(pk=playbook.pk)
    page = load_page(full)
    diff = None
    if full.based_on_id:
        base = Playbook.objects.for_editor().get(pk=full.based_on_id)
        diff = diff_versions(playbook_as_data(base), playbook_as_data(full))
    return render(
        request,
        "playbook/publish.html",
        {"playbook": full, "page": page, "form": form, "diff": diff},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def playbook_discard(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation on a page of its own, so it needs no JavaScript."""
    playbook = get_playbook_for_edit(request.user, pk)
    if request.method == "GET":
        try:
            playbook.ensure_editable()
        except PlaybookLocked as exc:
            return locked_response(request, exc)
        return render(request, "playbook/discard.html", {"playbook": playbook})
    try:
        services.playbook_discard(playbook=playbook, actor=request.user)
    except PlaybookLocked as exc:
        return locked_response(request, exc)
    except services.ChangeRefused as exc:
        messages.error(request, str(exc))
        return redirect(anchor(playbook))
    messages.success(
        request,
        _("Draft version %(version)s of “%(name)s” discarded.")
        % {"version": playbook.version, "name": playbook.name},
    )
    return redirect("playbook-list")


@login_required
@require_POST
def playbook_retire(request: HttpRequest, pk: int) -> HttpResponse:
    playbook = get_playbook_for_edit(request.user, pk)
    try:
        services.playbook_retire(playbook=playbook, actor=request.user)
    except services.ChangeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _(
                "Version %(version)s is retired: new pilots no longer see it; pilots "
                "running on it carry on."
            )
            % {"version": playbook.version},
        )
    return redirect(anchor(playbook))


@login_required
@require_POST
def playbook_make_default(request: HttpRequest, pk: int) -> HttpResponse:
    playbook = get_playbook_for_edit(request.user, pk)
    try:
        services.playbook_make_default(playbook=playbook, actor=request.user)
    except services.ChangeRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("New pilots now start from %(playbook)s.") % {"playbook": playbook}
        )
    return redirect(anchor(playbook))
