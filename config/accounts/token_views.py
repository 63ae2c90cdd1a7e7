"""The API tokens page: a person makes, sees and revokes their own tokens.

A new token is shown in the response to the POST that made it and nowhere else: it is
not put in the session or a message, so no copy of it is stored on the server.
"""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from config.accounts import tokens

EXPIRY_CHOICES = [
    ("30", gettext_lazy("In 30 days")),
    ("90", gettext_lazy("In 90 days")),
    ("365", gettext_lazy("In a year")),
    ("never", gettext_lazy("Never")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=80,
        required=False,
        help_text=gettext_lazy("What it is for, e.g. “Reporting dashboard”."),
    )
    expires = forms.ChoiceField(label=gettext_lazy("Expires"), choices=EXPIRY_CHOICES, initial="90")

    def expires_at(self):
        choice = self.cleaned_data["expires"]
        if choice == "never":
            return None
        return timezone.now() + timedelta(days=int(choice))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST if request.method == "POST" else None)
    new_token, new_row = None, None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                new_row, new_token = tokens.api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    expires_at=form.expires_at(),
                )
            except tokens.TokenRefused as exc:
                form.add_error(None, str(exc))
                status = 409
            else:
                form = TokenForm()
        else:
            status = 400
    now = timezone.now()
    rows = list(tokens.live_tokens(request.user))
    for row in rows:
        row.expired = row.is_expired(now)
    context = {
        "form": form,
        "tokens": rows,
        "new_token": new_token,
        "new_token_row": new_row,
        "rate_limit": settings.NINETY_API_RATE_PER_MINUTE,
    }
    return render(request, "accounts/tokens.html", context, status=status)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_pk: int) -> HttpResponse:
    if not tokens.api_token_revoke(user=request.user, token_id=token_pk):
        raise Http404("No such token")
    messages.success(request, _("Token revoked. Systems using it can no longer call the API."))
    return redirect("account-tokens")
