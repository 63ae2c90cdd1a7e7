"""The admin's "delete selected" action, logged.

Single adds, changes and deletions reach the security log through LogEntry's post_save
(config.accounts.receivers). Deleting several objects at once writes its LogEntry rows in one
bulk insert, which sends no signal, so the site-wide action is wrapped: whatever action
is registered under that name (Django's, or another app's wrapper of it, such as the
audit trail's) runs as before, and one log line names what went.
"""

import logging

from django.contrib import admin
from django.contrib.admin.actions import delete_selected

log = logging.getLogger("ninety.security")


def install() -> None:
    """Wrap the registered action; runs in AccountsConfig.ready(), after the admin
    modules of every app have registered theirs."""
    inner = admin.site.get_action("delete_selected") or delete_selected

    @admin.action(permissions=["delete"], description=delete_selected.short_description)
    def delete_selected_logged(modeladmin, request, queryset):
        confirmed = request.POST.get("post") == "yes"
        doomed = [(obj.pk, str(obj)[:200]) for obj in queryset] if confirmed else []
        response = inner(modeladmin, request, queryset)
        if confirmed and response is None:  # None: deleted, back to the change list
            log.info(
                "admin deleted %s %s",
                len(doomed),
                modeladmin.model._meta.verbose_name_plural,
                extra={
                    "event": "admin.action",
                    "action": "deleted",
                    "user_id": request.user.pk,
                    "content_type": modeladmin.model._meta.model_name,
                    "object_ids": [str(pk) for pk, _ in doomed],
                    "object_reprs": [text for _, text in doomed],
                },
            )
        return response

    admin.site.add_action(delete_selected_logged, "delete_selected")
