from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = _("Процессы")

    def ready(self) -> None:
        from engine import signals  # noqa: F401  (connects the deactivation handler)
        from engine.access import register_thread

        register_thread()
