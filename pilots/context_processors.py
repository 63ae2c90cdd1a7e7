from django.utils.functional import SimpleLazyObject

from pilots.access import can_create_pilot
from pilots.notifications_models import Notification
from pilots.roles import reads_every_pilot, role_label, role_names
from pilots.row_text import row_text


def roles(request) -> dict:
    """The navigation needs to know which global roles the user holds."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        # Translated once, when a page first shows a deliverable row.
        "row_text": SimpleLazyObject(row_text),
        "user_roles": sorted(role_names(user)),
        # The same roles in the reader's language, for display.
        "user_role_labels": [role_label(name) for name in sorted(role_names(user))],
        "can_create_pilot": can_create_pilot(user),
        "sees_portfolio": reads_every_pilot(user),
        # Lazy: counted (one query) only when a page shows the bell.
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(user=user, read_at__isnull=True).count()
        ),
    }
