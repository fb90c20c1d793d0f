"""E-mail through a real SMTP server (aiosmtpd on 127.0.0.1): the worker's ``send_due`` sends each
mail once, in Russian, with a link to the assignment; a failure is retried with backoff and never
touches the in-app notification."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from base import clock
from engine import actions, sweeps
from notify.models import Kind, Notification, OutboxEmail
from notify.outbox import send_due
from notify.tests.mailbox import Inbox, plain_text


def test_an_assignment_mail_is_sent_once_in_russian_with_its_link(processes, demo, smtp):
    instance = actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": "2027-Q1"})
    attach = instance.assignments.get()
    assert send_due(clock.now()) == (1, 0)
    assert send_due(clock.now() + timedelta(days=1)) == (0, 0)
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "sales_head@axioma.example"
    email = OutboxEmail.objects.get()
    assert mail["Subject"].replace("\u00a0", " ") == email.subject and "задание" in email.subject.lower()
    text = plain_text(mail)
    assert "Здравствуйте, Морозов Дмитрий Алексеевич!" in text
    assert f"https://soglasie.example/assignments/{attach.pk}/" in text
    email.refresh_from_db()
    assert email.sent_at is not None and email.attempts == 1


def test_a_failed_send_is_retried_with_backoff_and_keeps_the_notification(processes, demo, smtp_port):
    instance = actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": "2027-Q1"})
    now = clock.now()
    note = Notification.objects.get(kind=Kind.ASSIGNED)
    # nothing listens on the port yet: the connection is refused
    assert send_due(now) == (0, 1)
    email = OutboxEmail.objects.get()
    assert email.sent_at is None and email.attempts == 1 and email.last_error
    assert email.next_attempt_at == now + timedelta(minutes=1)
    assert send_due(now + timedelta(seconds=30)) == (0, 0)  # not due yet
    assert send_due(now + timedelta(minutes=1)) == (0, 1)
    email.refresh_from_db()
    assert email.attempts == 2 and email.next_attempt_at == now + timedelta(minutes=1) + timedelta(minutes=2)
    note.refresh_from_db()
    assert Notification.objects.filter(pk=note.pk, read_at__isnull=True).exists()
    assert note.text and note.assignment_id == instance.assignments.get().pk

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        assert send_due(now + timedelta(minutes=3)) == (1, 0)
        assert send_due(now + timedelta(hours=1)) == (0, 0)
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    email.refresh_from_db()
    assert email.sent_at is not None and email.last_error == ""


def test_reminder_overdue_and_reassigned_mails(processes, demo, smtp):
    start = clock.now()
    instance = actions.start("t_reminder", by=demo["sales_admin"].user)
    send = instance.assignments.get()
    sweeps.fire_due(start + timedelta(days=4, minutes=1))  # the reminder
    sweeps.fire_due(start + timedelta(days=5, minutes=1))  # the deadline: assignee and their manager
    actions.delegate(send.pk, by=demo["sales_admin"].user, to="manager1", comment="Подмени меня")
    sent, failed = send_due(start + timedelta(days=6))
    assert failed == 0 and sent == len(smtp.messages)
    outbox = list(OutboxEmail.objects.select_related("notification"))
    assert len(outbox) == len(smtp.messages) and all(e.sent_at is not None for e in outbox)
    assert sorted(m["To"] for m in smtp.messages) == sorted(e.to for e in outbox)
    kinds = {(e.to, e.notification.kind) for e in outbox}
    assert ("sales_admin@axioma.example", Kind.REMINDER) in kinds
    assert ("sales_admin@axioma.example", Kind.OVERDUE) in kinds
    assert ("sales_head@axioma.example", Kind.OVERDUE) in kinds  # sales_admin's line manager
    assert ("manager1@axioma.example", Kind.REASSIGNED) in kinds
    for message in smtp.messages:
        text = plain_text(message)
        assert text.startswith("Здравствуйте, ") and f"https://soglasie.example/assignments/{send.pk}/" in text
    assert send_due(start + timedelta(days=7)) == (0, 0)


def test_a_long_russian_subject_keeps_its_spaces_in_any_mail_reader(processes, demo, smtp, time_machine):
    """RFC 2047 readers drop whitespace between encoded words; the subject must survive that."""
    from email.header import decode_header, make_header

    time_machine.move_to("2026-11-02T07:00:00+00:00")
    instance = actions.start("t_reminder", by=demo["manager1"].user)
    send = instance.assignments.get()
    sweeps.fire_due(send.created_at + timedelta(days=4))
    send_due(send.created_at + timedelta(days=4))
    raw = next(r for r in smtp.raw if "Напоминание" in str(message_from_bytes(r, policy=policy.default)["Subject"]))
    # The Subject header as it travelled, unfolded, decoded the strict RFC 2047 way.
    folded = raw.split(b"\r\n\r\n")[0].decode("ascii").split("\r\nSubject: ")[1]
    header = re.split(r"\r\n(?![ \t])", folded)[0]
    decoded = str(make_header(decode_header(header))).replace("\u00a0", " ")
    assert "ждёт выполнения" in decoded and "«Отправить документы»" in decoded
