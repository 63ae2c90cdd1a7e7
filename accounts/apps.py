from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People signing in: lockouts, session limits, password reset, and the security log
    of logins and admin actions. Uses Django's own user model; no models of its own."""

    name = "accounts"

    def ready(self) -> None:
        from accounts import admin_actions, receivers  # noqa: F401 - connects the receivers

        admin_actions.install()
