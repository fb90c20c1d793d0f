"""The discussion of an instance or a card: its comments and the people who joined it by a mention.

A thread is not a row: it is its ``owner`` (``instance:12``, ``company:3``, as the files room spells
owners), and its comments in order. A comment is history: it is never deleted, and its author may
correct it only for :data:`discussion.services.EDIT_WINDOW` after posting.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from base import clock
from org.models import Employee


class Comment(models.Model):
    """One comment of a thread: plain text (no Markdown), at most ``base.texts.MAX_TEXT`` characters;
    its attachments are the documents of the owner ``comment:<id>`` in the files room."""

    owner = models.CharField(_("обсуждение"), max_length=100, help_text=_("Вид и номер: instance:12, company:3…"))
    author = models.ForeignKey(Employee, verbose_name=_("автор"), on_delete=models.PROTECT, related_name="comments")
    text = models.TextField(_("текст"))
    created_at = models.DateTimeField(_("написан"), default=clock.now)
    edited_at = models.DateTimeField(_("изменён"), null=True, blank=True)

    class Meta:
        verbose_name = _("комментарий")
        verbose_name_plural = _("комментарии")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["owner", "created_at"], name="comment_thread")]

    def __str__(self) -> str:
        return self.text[:80]


class Why(models.TextChoices):
    MENTIONED = "mentioned", _("упомянут в обсуждении")
    RECIPIENT = "recipient", _("получатель документов")


class Participant(models.Model):
    """Someone who joined a thread without being part of its owner (a mention, or a recipient a
    process sent its documents to): they may read the owner (the instance, the card) and its thread
    from then on.

    ``owner_kind`` and ``owner_pk`` repeat ``owner`` so that the owner's own visibility check can
    ask for "the instances whose thread lists this person" with one subquery on an integer column.
    """

    owner = models.CharField(_("обсуждение"), max_length=100)
    owner_kind = models.CharField(_("вид"), max_length=50)
    owner_pk = models.PositiveBigIntegerField(_("номер"))
    employee = models.ForeignKey(
        Employee, verbose_name=_("сотрудник"), on_delete=models.CASCADE, related_name="discussions"
    )
    why = models.CharField(_("почему"), max_length=20, choices=Why.choices, default=Why.MENTIONED)
    comment = models.ForeignKey(
        Comment, verbose_name=_("комментарий"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    since = models.DateTimeField(_("с"), default=clock.now)

    class Meta:
        verbose_name = _("участник обсуждения")
        verbose_name_plural = _("участники обсуждений")
        constraints = [models.UniqueConstraint(fields=["owner", "employee"], name="participant_once_per_thread")]
        indexes = [models.Index(fields=["owner_kind", "employee", "owner_pk"], name="participant_by_employee")]

    def __str__(self) -> str:
        return f"{self.employee} · {self.owner}"
