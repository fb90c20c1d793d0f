from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    """The pages about work: the feed, «Автоматизация», assignments, instances, processes."""

    name = "work"
    verbose_name = _("Работа")
