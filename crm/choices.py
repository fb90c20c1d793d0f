"""The card's lists of choices that both the rule book (``crm.validation``) and the models read.

Kept apart from both so that ``crm.validation`` stays free of the models and the ids stay in one
place: the ids are public (the API, ``add_counterparty.bpmn``'s ``documents`` rows), the labels are
what people read.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    """What a document of a card is; the same ids as the ``kind`` column of the process form's
    ``documents`` rows. A row that says nothing is «Другое»."""

    CONTRACT = "contract", _("Договор")
    CHARTER = "charter", _("Устав")
    BANK_LETTER = "bank_letter", _("Письмо банка")
    POWER_OF_ATTORNEY = "power_of_attorney", _("Доверенность")
    REQUISITES = "requisites", _("Карточка реквизитов")
    OTHER = "other", _("Другое")


def document_kind_label(kind: str | None) -> str:
    """The label of a document kind; an unknown or missing one (rows older than kinds) reads «Другое»."""
    try:
        return str(DocumentKind(kind or DocumentKind.OTHER).label)
    except ValueError:
        return str(DocumentKind.OTHER.label)
