"""Companies (контрагенты): the card of processes.md §2, its contacts and documents, and its history.

A company comes into existence in one of two ways only: the `add_counterparty` process creates it
on approval (`created_by_instance` is then that instance, and a one-to-one constraint makes a second
creation for the same instance impossible), or an administrator enters it. Either way the card has
passed `crm.validation.validate_card`, the one rule book, before it is saved.

The field lengths are `crm.validation.MAX_LENGTHS`, so a card the validator accepts always fits.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from base import clock
from crm.choices import DocumentKind
from crm.validation import KIND_CHOICES, LEGAL_FORM_CHOICES, MAX_LENGTHS
from files.models import StoredFile
from org.models import Employee


def _len(field_id: str) -> int:
    return MAX_LENGTHS[field_id]


class CompanyStatus(models.TextChoices):
    """A company's state in the state register (ЕГРЮЛ/ЕГРИП) as the lookup provider reports it
    (`api.md`, «Counterparty data from outside»); empty while nobody has asked."""

    UNKNOWN = "", _("не проверялся")
    ACTIVE = "active", _("действует")
    LIQUIDATING = "liquidating", _("ликвидируется")
    LIQUIDATED = "liquidated", _("ликвидирован")
    BANKRUPT = "bankrupt", _("банкротство")
    REORGANIZING = "reorganizing", _("реорганизуется")


class Company(models.Model):
    """A counterparty card. The field names are the card's field ids (`api.md`, `processes.md`).

    The status fields are not card fields: they are what the lookup provider last said about the
    company (`crm.lookup`), refreshed monthly by `crm.recheck`; `next_check_at` is the company's slot
    in that schedule (NULL: not scheduled yet).
    """

    name = models.CharField(_("название"), max_length=_len("name"))
    created_on = models.DateField(_("дата создания"), default=timezone.localdate)
    department = models.CharField(_("подразделение"), max_length=_len("department"), blank=True)
    responsible = models.ForeignKey(
        Employee,
        verbose_name=_("ответственный"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="companies",
    )
    kind = models.CharField(_("тип контрагента"), max_length=20, choices=KIND_CHOICES)
    legal_form = models.CharField(_("организационно-правовая форма"), max_length=20, choices=LEGAL_FORM_CHOICES)
    country = models.CharField(_("страна"), max_length=_len("country"), default="Россия")
    region = models.CharField(_("регион"), max_length=_len("region"), blank=True)
    city = models.CharField(_("город"), max_length=_len("city"))
    business_group = models.CharField(_("бизнес-группа"), max_length=_len("business_group"), blank=True)
    short_name = models.CharField(_("краткое наименование"), max_length=_len("short_name"))
    full_name = models.CharField(_("полное наименование"), max_length=_len("full_name"))
    inn = models.CharField(_("ИНН"), max_length=_len("inn"), blank=True, db_index=True)
    kpp = models.CharField(_("КПП"), max_length=_len("kpp"), blank=True)
    ogrn = models.CharField(_("ОГРН"), max_length=_len("ogrn"), blank=True)
    reg_number = models.CharField(_("регистрационный номер"), max_length=_len("reg_number"), blank=True)
    legal_address = models.CharField(_("юридический адрес"), max_length=_len("legal_address"))
    bank_bik = models.CharField(_("БИК"), max_length=_len("bank_bik"), blank=True)
    bank_name = models.CharField(_("банк"), max_length=_len("bank_name"), blank=True)
    bank_account = models.CharField(_("расчётный счёт"), max_length=_len("bank_account"), blank=True)
    bank_corr_account = models.CharField(_("корреспондентский счёт"), max_length=_len("bank_corr_account"), blank=True)
    responsible_manager = models.ForeignKey(
        Employee, verbose_name=_("руководитель"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("добавлен"), default=clock.now)
    created_by = models.ForeignKey(
        Employee,
        verbose_name=_("кто добавил"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Для карточки из процесса — тот, чьё согласование завершило процесс."),
    )
    created_by_instance = models.OneToOneField(
        "engine.Instance",
        verbose_name=_("создан процессом"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="company",
    )
    updated_at = models.DateTimeField(_("изменён"), default=clock.now)
    status = models.CharField(
        _("статус в реестре"), max_length=20, choices=CompanyStatus.choices, blank=True, default=CompanyStatus.UNKNOWN
    )
    status_checked_at = models.DateTimeField(_("статус проверен"), null=True, blank=True)
    liquidation_date = models.DateField(_("дата ликвидации"), null=True, blank=True)
    next_check_at = models.DateTimeField(_("следующая проверка"), null=True, blank=True, db_index=True)
    bitrix24_id = models.CharField(
        _("ID в Битрикс24"),
        max_length=40,
        null=True,
        blank=True,
        unique=True,
        help_text=_("Номер компании в Битрикс24, из которого её импортировали: повторный импорт обновляет её."),
    )
    search_text = models.TextField(editable=False, blank=True)

    class Meta:
        verbose_name = _("контрагент")
        verbose_name_plural = _("контрагенты")
        ordering = ["name", "pk"]
        constraints = [
            # The last line of the duplicate rule: two companies never share ИНН+КПП, even when two
            # approvals race past the checks of the form.
            models.UniqueConstraint(fields=["inn", "kpp"], condition=~Q(inn=""), name="crm_company_unique_inn_kpp"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.fill_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"/companies/{self.pk}/"

    def fill_search_text(self) -> None:
        """SQLite's LIKE folds only ASCII: a case-folded copy makes the search work for Cyrillic on
        every database with a plain `contains`. Called by `save()` and before a `bulk_create`."""
        self.search_text = " ".join(
            part.casefold().replace("ё", "е")
            for part in (self.name, self.short_name, self.full_name, self.inn, self.kpp, self.ogrn, self.reg_number)
            if part
        )


class CardRow(models.Model):
    """A row of one of the card's lists, kept in the order it was entered."""

    order = models.PositiveIntegerField(_("порядок"), default=0)

    class Meta:
        abstract = True
        ordering = ["order", "pk"]


class Contact(CardRow):
    """A contact person of a company (a row of the card's `contacts` list)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("ФИО"), max_length=_len("contacts.name"))
    position = models.CharField(_("должность"), max_length=_len("contacts.position"), blank=True)
    phone = models.CharField(_("телефон"), max_length=_len("contacts.phone"), blank=True)
    email = models.CharField(_("e-mail"), max_length=_len("contacts.email"), blank=True)

    class Meta(CardRow.Meta):
        verbose_name = _("контакт")
        verbose_name_plural = _("контакты")

    def __str__(self) -> str:
        return self.name


class Document(CardRow):
    """A document of a company (a row of the card's `documents` list): its kind, its title, and a link
    or a stored file (or both).

    `file` is the company's own version (a `files.StoredFile` attached to owner `company:<id>`), never
    an instance's: the rows are rewritten on every save of the card, the files never are, so the
    version chain of each document stays in the files room (`crm.services.company_file`).
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("вид"), max_length=20, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    title = models.CharField(_("название"), max_length=_len("documents.title"))
    url = models.CharField(_("ссылка"), max_length=_len("documents.url"), blank=True)
    file = models.ForeignKey(
        StoredFile, verbose_name=_("файл"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(CardRow.Meta):
        verbose_name = _("документ")
        verbose_name_plural = _("документы")
        constraints = [
            # The rule book's «a link or a file», kept by the database too.
            models.CheckConstraint(
                condition=~Q(url="") | Q(file__isnull=False),
                name="crm_document_link_or_file",
                violation_error_message=_("Документ: укажите ссылку или приложите файл"),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ChangeAction(models.TextChoices):
    CREATED = "created", _("добавлен")
    UPDATED = "updated", _("изменён")


class ChangeSource(models.TextChoices):
    """Where a change came from, when not from a person's form or a process."""

    NONE = "", ""
    BITRIX24 = "bitrix24", _("импорт из Битрикс24")
    DADATA = "dadata", _("по данным DaData")


class CompanyChange(models.Model):
    """Append-only history of a card: who changed which fields from what to what, and when.

    `changes` is {field id: {"old": value, "new": value}}, values as the card stores them (contacts
    and documents as lists of dicts), so the page can show exactly what moved.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(_("когда"), default=clock.now, db_index=True)
    actor = models.ForeignKey(
        Employee, verbose_name=_("кто"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("действие"), max_length=20, choices=ChangeAction.choices)
    instance = models.ForeignKey(
        "engine.Instance", verbose_name=_("процесс"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changes = models.JSONField(_("изменения"), default=dict, blank=True)
    #: Where the values came from when not typed by a person: the Bitrix24 import, or the state
    #: register through the provider (``crm.lookup.SOURCE``).
    source = models.CharField(_("источник"), max_length=20, choices=ChangeSource.choices, blank=True, default="")

    class Meta:
        verbose_name = _("изменение карточки")
        verbose_name_plural = _("история карточки")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("company history is append-only")
        super().save(*args, **kwargs)


class PartyRecord(models.Model):
    """The provider's last answer about one ИНН (+КПП), found or not.

    Kept so the card form's checks, the approvals (which run inside the engine's locked step
    transaction, where no HTTP call may wait) and repeated presses of the button read it instead of
    asking the provider again: each answer costs one request of the daily limit.
    """

    inn = models.CharField(max_length=12)
    kpp = models.CharField(max_length=9, blank=True)
    found = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=CompanyStatus.choices, blank=True)
    liquidation_date = models.DateField(null=True, blank=True)
    actuality_date = models.DateField(null=True, blank=True)
    card = models.JSONField(default=dict, blank=True)
    fetched_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("ответ справочника компаний")
        verbose_name_plural = _("ответы справочника компаний")
        constraints = [models.UniqueConstraint(fields=["inn", "kpp"], name="crm_partyrecord_inn_kpp")]

    def __str__(self) -> str:
        return f"{self.inn}/{self.kpp}: {self.status or '-'}"


class LookupUsage(models.Model):
    """Requests made to the provider on one day (Moscow time), shared by the web and the workers.

    The provider's free plan allows 10,000 a day and answers 403 past it; counting here (one
    conditional UPDATE per request) keeps every process under `COMPANY_LOOKUP_DAILY_LIMIT`.
    `paused_until` is set after a refusal that would repeat for every company (the provider down,
    a bad token), so the monthly re-check waits instead of hammering it.
    """

    day = models.DateField(unique=True)
    requests = models.PositiveIntegerField(default=0)
    paused_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("запросы к справочнику компаний")
        verbose_name_plural = _("запросы к справочнику компаний")

    def __str__(self) -> str:
        return f"{self.day}: {self.requests}"
class ImportRun(models.Model):
    """One import from Bitrix24 started on the page «Импорт»: its input, progress and report.

    The page runs a small file in the request; a webhook or a long file runs in a thread of the web
    process that writes `done`/`total` here every batch, so the page's progress bar reads a row and
    not a process's memory (any web process can answer the poll). The webhook's address carries
    its secret: it is emptied when the run ends. `data` holds the uploaded export until then too.
    """

    class Status(models.TextChoices):
        NEW = "new", _("ждёт проверки")
        RUNNING = "running", _("идёт")
        DONE = "done", _("завершён")
        FAILED = "failed", _("прерван")

    created_at = models.DateTimeField(_("начат"), default=clock.now)
    started_by = models.ForeignKey(
        Employee, verbose_name=_("кто начал"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(_("файл"), max_length=255, blank=True)
    data = models.BinaryField(_("содержимое файла"), blank=True, default=b"")
    webhook = models.CharField(_("вебхук"), max_length=500, blank=True)
    mapping = models.JSONField(_("сопоставление столбцов"), default=dict, blank=True)
    commit = models.BooleanField(_("с записью"), default=False)
    status = models.CharField(_("состояние"), max_length=20, choices=Status.choices, default=Status.NEW)
    total = models.PositiveIntegerField(_("всего"), default=0)
    done = models.PositiveIntegerField(_("обработано"), default=0)
    report = models.JSONField(_("отчёт"), null=True, blank=True)
    error = models.TextField(_("ошибка"), blank=True)
    finished_at = models.DateTimeField(_("окончен"), null=True, blank=True)

    class Meta:
        verbose_name = _("импорт из Битрикс24")
        verbose_name_plural = _("импорты из Битрикс24")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.file_name or 'webhook'}"

    def get_absolute_url(self) -> str:
        return f"/companies/import/{self.pk}/"
