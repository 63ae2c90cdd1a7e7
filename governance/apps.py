from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        # Listen to the pilots app's state changes (it cannot import us).
        from governance import facets, hooks, receivers  # noqa: F401

        facets.register()
        hooks.register()
