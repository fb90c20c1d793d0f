from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    """The BPMN files of the customer's processes and the Python hooks they call."""

    name = "processes"
    verbose_name = _("Процессы компании")

    def ready(self) -> None:
        from processes import hooks  # noqa: F401  (registers the hooks by name)
