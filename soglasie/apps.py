from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SoglasieConfig(AppConfig):
    """The wiring room: settings, URLs, middleware, the worker and its heartbeat."""

    name = "soglasie"
    verbose_name = _("Обслуживание")
