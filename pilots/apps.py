from django.apps import AppConfig


class PilotsConfig(AppConfig):
    name = "pilots"
    verbose_name = "Pilots"

    def ready(self) -> None:
        from pilots import language  # noqa: F401 - connects the login receiver
