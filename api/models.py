"""API tokens: stored hashed, revocable by an administrator."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from base import clock


def hash_token(raw: str) -> str:
    """SHA-256 is enough: tokens are 256 random bits, not passwords people choose."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("пользователь"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("начало токена"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("создан"), default=clock.now, editable=False)
    last_used_at = models.DateTimeField(_("последнее использование"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("отозван"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("токен API")
        verbose_name_plural = _("токены API")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.prefix}…"

    @classmethod
    def issue(cls, user: settings.AUTH_USER_MODEL) -> tuple[ApiToken, str]:
        """Create a token and return it with the raw value, which is shown once and never stored."""
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, key_hash=hash_token(raw), prefix=raw[:8])
        return token, raw

    @classmethod
    def find(cls, raw: str) -> ApiToken | None:
        return cls.objects.live().select_related("user").filter(key_hash=hash_token(raw)).first()

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = clock.now()
            self.save(update_fields=["revoked_at"])
