from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People signing in: lockouts, session limits, password reset, single sign-on
    (OpenID Connect), and the security log of logins and admin actions. Uses Django's own
    user model; no models of its own."""

    # Inside config/: signing in is the site's plumbing, not part of the product's domain
    # (the top level holds only the domain apps: playbook, pilots, governance).
    name = "config.accounts"
    label = "accounts"

    def ready(self) -> None:
        from config.accounts import (  # noqa: F401 - connects receivers, registers checks
            admin_actions,
            checks,
            oidc,
            receivers,
        )

        admin_actions.install()
