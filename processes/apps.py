import logging
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

#: The customer's BPMN files: deployed after ``migrate`` and by the worker whenever one changes.
PROCESS_DIR = Path(__file__).resolve().parent


def deploy_files() -> list[tuple[str, bool]]:
    """Deploy every file of ``processes/`` whose content changed; returns (key, created) for each."""
    from engine.definitions import deploy_directory

    return deploy_directory(PROCESS_DIR)


def _deploy_after_migrate(sender: Any, **kwargs: Any) -> None:
    """Once per ``migrate`` (the signal comes for every app with models: the engine's is the one)."""
    if sender.name != "engine":
        return
    from engine.bpmn import DeployError

    try:
        deploy_files()
    except DeployError as error:
        log.error("a file under processes/ does not deploy:\n%s", error)


class ProcessesConfig(AppConfig):
    """The BPMN files of the customer's processes and the Python hooks they call."""

    name = "processes"
    verbose_name = _("Процессы компании")

    def ready(self) -> None:
        from processes import hooks  # noqa: F401  (registers the hooks by name)

        post_migrate.connect(_deploy_after_migrate, dispatch_uid="processes.deploy_files")
