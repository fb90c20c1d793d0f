"""A comment tells the thread's people and the mentioned, once each, in the app and by e-mail through
a real SMTP server (aiosmtpd on 127.0.0.1); never its author."""

from __future__ import annotations

from email.message import EmailMessage

from base import clock
from discussion import services
from files.hooks import owner
from notify.models import Kind, Notification, OutboxEmail
from notify.outbox import send_due


def _body(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _comment_notices() -> list[tuple[str, str]]:
    rows = Notification.objects.filter(kind=Kind.COMMENT).order_by("recipient__user__username")
    return [(n.recipient.username, n.text) for n in rows.select_related("recipient__user")]


def test_a_mention_is_one_notice_and_one_mail_through_real_smtp(instance, demo, smtp):
    Notification.objects.all().delete()  # the start's own notices
    comment = services.post(
        demo["director"].user, owner("instance", instance.pk), "@accountant, @accountant, сверьте счёт."
    )
    notices = _comment_notices()
    # the starter (also the first assignee) hears of the comment, the mentioned is called in; the author nothing
    assert [username for username, _text in notices] == ["accountant", "sales_head"]
    called, told = dict(notices)["accountant"], dict(notices)["sales_head"]
    assert called.startswith(
        "Соколов Андрей Викторович упоминает вас в обсуждении «Тестовое согласование»: @accountant"
    )
    assert told.startswith("Новый комментарий в обсуждении") and "сверьте счёт" in told
    note = Notification.objects.get(recipient=demo["accountant"])
    assert note.instance_id == instance.pk and note.url == f"/instances/{instance.pk}/#comment-{comment.pk}"

    assert send_due(clock.now()) == (2, 0)
    assert send_due(clock.now()) == (0, 0)
    mails = {m["To"]: m for m in smtp.messages}
    assert sorted(mails) == ["accountant@axioma.example", "sales_head@axioma.example"]
    mail = mails["accountant@axioma.example"]
    assert "упоминает вас" in mail["Subject"].replace("\u00a0", " ")
    body = _body(mail)
    assert "Здравствуйте, Павлова Елена Игоревна!" in body
    assert f"https://soglasie.example/instances/{instance.pk}/#comment-{comment.pk}" in body
    assert OutboxEmail.objects.filter(sent_at__isnull=False).count() == 2


def test_a_participant_who_is_also_mentioned_is_told_once_and_the_author_never(instance, demo, smtp):
    Notification.objects.all().delete()
    services.post(demo["sales_head"].user, owner("instance", instance.pk), "@sales_head @director, готово")
    assert [username for username, _text in _comment_notices()] == ["director"]
    services.post(demo["director"].user, owner("instance", instance.pk), "@sales_head, принято")
    assert [username for username, _text in _comment_notices()] == ["director", "sales_head"]
    assert send_due(clock.now()) == (2, 0)
    assert sorted(m["To"] for m in smtp.messages) == ["director@axioma.example", "sales_head@axioma.example"]


def test_a_card_comment_tells_its_responsible_people_and_earlier_commenters(company, demo):
    thread = owner("company", company.pk)
    services.post(demo["accountant"].user, thread, "Реквизиты банка сменились?")
    first = {username for username, _text in _comment_notices()}
    assert first == {company.responsible.username, company.responsible_manager.username}
    Notification.objects.all().delete()
    services.post(demo["manager1"].user, thread, "Да, с 1 декабря.")
    assert {username for username, _text in _comment_notices()} == {"accountant", company.responsible_manager.username}
    note = Notification.objects.get(recipient=demo["accountant"])
    assert note.url.startswith(f"/companies/{company.pk}/#comment-") and note.instance_id is None
    assert "«Автодеталь-Центр»" in note.text


def test_a_mention_added_in_a_correction_is_told_and_nobody_else_again(instance, demo):
    comment = services.post(demo["sales_head"].user, owner("instance", instance.pk), "Директору на заметку")
    Notification.objects.all().delete()
    services.edit(demo["sales_head"].user, comment.pk, "@accountant, на заметку")
    assert [username for username, _text in _comment_notices()] == ["accountant"]
    services.edit(demo["sales_head"].user, comment.pk, "@accountant, на заметку!")
    assert Notification.objects.count() == 1
