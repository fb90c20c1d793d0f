from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "notify"
    verbose_name = _("Уведомления")

    def ready(self) -> None:
        from discussion.signals import comment_posted
        from engine import hooks
        from notify.handlers import on_comment_posted, on_engine_events

        hooks.listen(on_engine_events)
        comment_posted.connect(on_comment_posted, dispatch_uid="notify.comment_posted")
