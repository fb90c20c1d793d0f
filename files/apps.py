from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilesConfig(AppConfig):
    """Stored files and their versions; the rooms above register their owner kinds in ``files.hooks``."""

    name = "files"
    verbose_name = _("Файлы")
