from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = _("Организация")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from org.auth import session_started

        user_logged_in.connect(session_started, dispatch_uid="org.auth.session_started")
