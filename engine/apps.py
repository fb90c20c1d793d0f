from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = _("Процессы")

    def ready(self) -> None:
        from engine import access, signals  # noqa: F401  (signals connects the deactivation handler)
        from files.hooks import register_owner

        access.register_thread()
        # A file of an instance's form is seen by whoever sees the instance (engine.access).
        register_owner("instance", may_see=access.may_see_instance)
