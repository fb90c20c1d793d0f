"""API tokens: stored hashed, one per person and client program, expiring, revocable by an administrator."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils.translation import gettext_lazy as _

from base import clock

#: The client name of a token request that names none.
DEFAULT_CLIENT = "api"


def hash_token(raw: str) -> str:
    """SHA-256 is enough: tokens are 256 random bits, not passwords people choose."""
    return hashlib.sha256(raw.encode()).hexdigest()


def default_expiry(start: datetime | None = None) -> datetime:
    """``API_TOKEN_DAYS`` after ``start`` (now): a token left in a script or a log stops working by itself."""
    return (start or clock.now()) + timedelta(days=settings.API_TOKEN_DAYS)


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self) -> ApiTokenQuerySet:
        """Tokens that still let their holder in: not revoked, not expired, of an active user."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=clock.now(), user__is_active=True)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("пользователь"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    client = models.CharField(
        _("программа"),
        max_length=100,
        default=DEFAULT_CLIENT,
        help_text=_("Имя программы, для которой выдан токен: новый токен для неё заменяет прежний."),
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("начало токена"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("создан"), default=clock.now, editable=False)
    expires_at = models.DateTimeField(_("действует до"), default=default_expiry)
    last_used_at = models.DateTimeField(_("последнее использование"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("отозван"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("токен API")
        verbose_name_plural = _("токены API")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "client"], name="apitoken_one_per_client")]

    def __str__(self) -> str:
        return f"{self.user} · {self.client} · {self.prefix}…"

    @classmethod
    def issue(cls, user: settings.AUTH_USER_MODEL, client: str = DEFAULT_CLIENT) -> tuple[ApiToken, str]:
        """A new token for ``user``'s program ``client``, and its raw value (shown once, never stored).

        It replaces the token that program had (which stops working at once), so logging in again
        does not pile up live tokens: a person has one per program, each with a fresh expiry.
        """
        raw = secrets.token_urlsafe(32)
        now = clock.now()
        token, _created = cls.objects.update_or_create(
            user=user,
            client=client,
            defaults={
                "key_hash": hash_token(raw),
                "prefix": raw[:8],
                "created_at": now,
                "expires_at": default_expiry(now),
                "last_used_at": None,
                "revoked_at": None,
            },
        )
        return token, raw

    @classmethod
    def find(cls, raw: str) -> ApiToken | None:
        """The live token (as :meth:`ApiTokenQuerySet.live` says), with its user and the user's
        employee from the same statement: nearly every endpoint asks next who the caller is in the
        org chart (``org.access.employee_of``).

        Every API request runs this, so it is one statement written once (``engine.rows``), not a
        query the ORM compiles anew each time: that took longer than the rest of a short request.
        """
        from engine import rows
        from org.models import Employee

        user_model = get_user_model()
        connection = connections[DEFAULT_DB_ALIAS]
        now = cls._meta.get_field("expires_at").get_db_prep_value(clock.now(), connection)
        found = rows.fetch(_find_sql(connection.vendor), [hash_token(raw), now])
        if not found:
            return None
        row, at = found[0], rows.width(cls)
        token = rows.build(cls, row)
        user = rows.build(user_model, row, at)
        at += rows.width(user_model)
        employee = rows.build(Employee, row, at) if row[at] is not None else None
        token.user = user
        user_model._meta.get_field("employee").set_cached_value(user, employee)  # None: known to have none
        if employee is not None:
            employee.user = user
        return token

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = clock.now()
            self.save(update_fields=["revoked_at"])


@cache
def _find_sql(vendor: str) -> str:
    """The statement of :meth:`ApiToken.find`, per database vendor (quoting); built once."""
    from engine import rows
    from org.models import Employee

    user_model = get_user_model()
    qn = rows.qn
    user_pk = qn(user_model._meta.pk.column)
    # Table and column names only; the values are parameters.
    return (
        f"SELECT {rows.columns(ApiToken, 't')}, {rows.columns(user_model, 'u')}, {rows.columns(Employee, 'e')} "  # noqa: S608
        f"FROM {rows.table(ApiToken)} t "
        f"INNER JOIN {rows.table(user_model)} u ON u.{user_pk} = t.{qn('user_id')} "
        f"LEFT JOIN {rows.table(Employee)} e ON e.{qn('user_id')} = u.{user_pk} "
        f"WHERE t.{qn('key_hash')} = %s AND t.{qn('revoked_at')} IS NULL AND t.{qn('expires_at')} > %s "
        f"AND u.{qn('is_active')}"
    )
