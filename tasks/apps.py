from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = _("Задачи")

    def ready(self) -> None:
        from engine import hooks
        from org.directory import employee_deactivated
        from tasks.services import ProcessTasks

        hooks.register_plain_tasks(ProcessTasks())
        employee_deactivated.connect(_hand_over, dispatch_uid="tasks.hand_over")


def _hand_over(sender: Any, employee: Any, **kwargs: Any) -> None:
    from tasks.services import hand_over_open_tasks

    hand_over_open_tasks(employee)
