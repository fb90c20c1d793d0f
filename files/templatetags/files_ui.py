"""Template tags of the upload fragment (``templates/files/_upload.html``)."""

from __future__ import annotations

from django import template
from django.conf import settings

from files.services import max_bytes

register = template.Library()


@register.simple_tag
def upload_limit() -> dict[str, int]:
    """The size limit, in MiB (for the sentence) and in bytes (for the script's early refusal)."""
    return {"mb": settings.FILES_MAX_MB, "bytes": max_bytes()}
