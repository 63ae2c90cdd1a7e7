"""The switch that turns local password login off (NINETY_PASSWORD_LOGIN=false).

The login page stops offering and accepting passwords itself; this backend makes the rule
hold for every other way a password reaches `authenticate()` too (the admin's login form,
anything added later), because Django stops at the first backend that refuses.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied


class PasswordLoginSwitchBackend:
    def authenticate(self, request, username=None, password=None, **kwargs):
        if password is not None and not settings.NINETY_PASSWORD_LOGIN:
            raise PermissionDenied("password login is turned off")
        return None

    # No get_user(): this backend never signs anyone in, so no session may name it (the
    # test client's force_login picks the first backend that has one).
