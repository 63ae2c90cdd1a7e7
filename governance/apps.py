from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self) -> None:
        # Listen to the pilots app's state changes (it cannot import us).
        from governance import facets, hooks, receivers  # noqa: F401

        facets.register()
        hooks.register()
