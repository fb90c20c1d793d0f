"""Every label, title and option of ``trade_conditions.bpmn`` and ``bonus_agreements.bpmn``, for the catalog.

The BPMN files carry Russian text; ``makemessages`` does not read them, so each string is listed here
(a test checks that none is missing). Titles keep their ``{quarter}`` placeholder: the translated
template is rendered with the same variables.
"""

from django.utils.translation import gettext_noop

STRINGS = [
    # trade_conditions.bpmn
    gettext_noop("Торговые условия"),
    gettext_noop("Торговые условия на {quarter}"),
    gettext_noop("Квартал"),
    gettext_noop("Выбрать получателей уведомления о запуске процесса"),
    gettext_noop("Получатели уведомления"),
    gettext_noop("Уведомить о запуске"),
    gettext_noop("Прикрепить ссылку на реестр базовых скидок на {quarter}"),
    gettext_noop("Ссылка на документ"),
    gettext_noop("Файл документа"),
    gettext_noop("Комментарий"),
    gettext_noop("Согласовать реестр базовых скидок"),
    gettext_noop("Решение"),
    gettext_noop("Согласовать"),
    gettext_noop("На доработку"),
    gettext_noop("Согласовано?"),
    gettext_noop("Доработать реестр базовых скидок"),
    gettext_noop("Запомнить согласованный реестр базовых скидок"),
    gettext_noop("Сформировать реестр скидок, отсрочек и кредитных лимитов"),
    gettext_noop("Согласовать реестр скидок, отсрочек и кредитных лимитов"),
    gettext_noop("Доработать реестр скидок, отсрочек и кредитных лимитов"),
    gettext_noop("Запомнить согласованный реестр скидок, отсрочек и кредитных лимитов"),
    gettext_noop("Выбрать получателей уведомления о завершении процесса"),
    gettext_noop("Уведомить о завершении"),
    gettext_noop("Согласовано"),
    gettext_noop("Не согласовано"),
    # bonus_agreements.bpmn
    gettext_noop("Бонусные соглашения"),
    gettext_noop("Бонусные соглашения за {quarter}"),
    gettext_noop("Файлы подписанных соглашений"),
    gettext_noop("Квартал"),
    gettext_noop("Подготовить дополнительные соглашения и акты о выплате бонуса"),
    gettext_noop("Ссылка на документ"),
    gettext_noop("Файл документа"),
    gettext_noop("Комментарий"),
    gettext_noop("Определить очерёдность предоставления бонусов"),
    gettext_noop("Отправить документы клиентам на согласование и подписание"),
    gettext_noop("Документы отправлены"),
    gettext_noop("Да"),
    gettext_noop("Нет"),
    # the lines under the decision buttons (the `descriptions` property of the decision fields)
    gettext_noop("Реестр базовых скидок будет утверждён"),
    gettext_noop("Реестр вернётся автору с вашим комментарием"),
    gettext_noop("Реестр будет утверждён, процесс перейдёт к уведомлению о завершении"),
    gettext_noop("Процесс перейдёт к подписанию соглашений"),
    gettext_noop("Шаг откроется снова; в комментарии укажите, что помешало"),
    gettext_noop("Через 4 дня: напомнить"),
    gettext_noop("Напоминание отправлено"),
    gettext_noop("Отправлено?"),
    gettext_noop("Прикрепить ссылки на подписанные дополнительные соглашения"),
    gettext_noop("Ссылки на подписанные соглашения"),
    gettext_noop("Подпишите бонусные соглашения с клиентами"),
    gettext_noop("Подпишите со стороны компании дополнительные соглашения о бонусах и отметьте задачу выполненной."),
    gettext_noop("Получите оригиналы соглашений и передайте их в архив"),
    gettext_noop("Примите оригиналы соглашений по контрагенту"),
    gettext_noop("Завершено"),
    gettext_noop("Нет: отправить снова"),
]
