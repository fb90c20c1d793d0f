import logging

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)


def _deploy_process_files(sender, **kwargs) -> None:
    """After ``migrate``: the files under ``processes/`` are deployed when they changed."""
    if sender.name != "engine":
        return
    from engine.bpmn import DeployError
    from engine.definitions import deploy_directory

    try:
        deploy_directory()
    except DeployError as error:
        log.error("a file under processes/ does not deploy:\n%s", error)


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = _("Процессы")

    def ready(self) -> None:
        from engine import signals  # noqa: F401  (connects the deactivation handler)

        post_migrate.connect(_deploy_process_files, sender=self)
