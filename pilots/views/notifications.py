"""The bell: in-app notifications, mail settings per kind, and the personal iCal feed."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pilots import calendar
from pilots.notifications import mail_settings
from pilots.notifications_models import Notification, NotificationSettings


class MailSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["digest", "escalation", "gate_ready", "gate_signed", "purgatory", "review"]


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(Notification.objects.filter(user=request.user), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "pilots/notifications.html", {"page": page, "query": ""})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = Notification.objects.filter(user=request.user, pk=pk).first()
    if notification is None:
        raise Http404("No such notification")
    Notification.objects.filter(pk=pk, read_at__isnull=True).update(read_at=timezone.now())
    return redirect(notification.url or "notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    messages.success(
        request,
        ngettext(
            "%(count)s notification marked read.", "%(count)s notifications marked read.", count
        )
        % {"count": count},
    )
    return redirect("notifications")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    current = mail_settings(request.user)
    form = MailSettingsForm(request.POST if request.method == "POST" else None, instance=current)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Mail settings saved."))
        return redirect("notification-settings")
    has_feed = request.user.calendar_feeds.filter(revoked_at__isnull=True).exists()
    return render(
        request,
        "pilots/notification_settings.html",
        {
            "form": form,
            "has_feed": has_feed,
            "new_feed_url": request.session.pop("new_feed_url", None),
        },
    )


@login_required
@require_POST
def calendar_feed_create(request: HttpRequest) -> HttpResponse:
    token = calendar.feed_create(user=request.user)
    # Shown once, on the next page; only its hash is kept.
    request.session["new_feed_url"] = calendar.feed_url(token)
    return redirect("notification-settings")


@login_required
@require_POST
def calendar_feed_revoke(request: HttpRequest) -> HttpResponse:
    calendar.feed_revoke(user=request.user)
    messages.success(request, _("Calendar feed revoked; calendars subscribed to it stop updating."))
    return redirect("notification-settings")


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    user = calendar.feed_user(token)
    if user is None:
        raise Http404("No such feed")
    response = HttpResponse(calendar.render_feed(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="ninety.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response
