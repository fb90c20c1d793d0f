from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscussionConfig(AppConfig):
    """Threads of comments on instances and cards; the rooms above register their kinds in
    ``discussion.hooks``. Registers the files owner kind ``comment`` (a comment's attachments)."""

    name = "discussion"
    verbose_name = _("Обсуждения")

    def ready(self) -> None:
        from discussion.services import register_attachments

        register_attachments()
