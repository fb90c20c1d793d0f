"""Decisions from the e-mail: the links of a real ``assigned`` e-mail (aiosmtpd), opened and used
through the page ``/a/<token>`` with no session: opened twice, used twice, used after the
assignment was delegated, forged, expired, a send-back without and with its comment."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from base import clock
from base.ratelimit import TokenBuckets
from engine import actions
from engine.models import Assignment, AssignmentStatus, History, HistoryEvent
from engine.tests.flows import race
from notify.models import DecisionLink
from notify.outbox import send_due
from notify.tests.mailbox import links_in, plain_text
from work import decision_link


@pytest.fixture(autouse=True)
def _fresh_rate_limit(monkeypatch):
    """Every test starts with full buckets: the limit is per process, and the tests share one."""
    monkeypatch.setattr(decision_link, "_per_address", TokenBuckets())


def _approval_mail(demo, smtp):
    """A document attached by the head of sales: the director's approval opens, its mail is sent.
    Returns the assignment and its links by label (paths, ready for the test client)."""
    instance = actions.start("t_approval", by=demo["sales_head"].user, variables={"quarter": "2027-Q1"})
    attach = instance.assignments.get()
    actions.complete(attach.pk, by=demo["sales_head"].user, data={"document_url": "https://docs.example/reestr"})
    approve = instance.assignments.get(key="approve_doc")
    send_due(clock.now())
    mail = next(m for m in smtp.messages if m["To"] == demo["director"].user.email)
    links = {label: urlsplit(url).path for label, url in links_in(mail).items()}
    return approve, links, mail


def _history(assignment):
    return list(History.objects.filter(instance_id=assignment.instance_id).values_list("event", flat=True))


def _assert_no_session(response):
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_the_mail_of_a_choice_carries_one_link_per_outcome_stored_hashed(processes, demo, smtp):
    approve, links, mail = _approval_mail(demo, smtp)
    assert set(links) == {"Согласовать", "Не согласовать"}
    text = plain_text(mail)
    assert f"https://soglasie.example/assignments/{approve.pk}/" in text
    tokens = [path.removeprefix("/a/") for path in links.values()]
    assert all(len(token) >= 43 for token in tokens) and tokens[0] != tokens[1]
    stored = {link.outcome: link for link in DecisionLink.objects.filter(assignment=approve)}
    assert set(stored) == {"approve", "reject"}
    for token in tokens:
        found = DecisionLink.objects.get(token_hash=hashlib.sha256(token.encode()).hexdigest())
        assert found.assignee_id == demo["director"].pk and found.field == "decision"
        assert token not in found.token_hash
        assert found.expires_at == found.created_at + timedelta(days=7)
    # Mail readers that show HTML get the same links as buttons.
    html = mail.get_body(preferencelist=("html",)).get_content()
    for label, path in links.items():
        assert f'href="https://soglasie.example{path}"' in html and f">{label}</a>" in html
    # The document step's mail (a link to attach is no choice) carried none.
    attach_mail = next(m for m in smtp.messages if m["To"] == demo["sales_head"].user.email)
    assert links_in(attach_mail) == {}
    assert attach_mail.get_body(preferencelist=("html",)) is None


def test_opening_a_link_twice_changes_nothing(processes, demo, smtp):
    approve, links, _mail = _approval_mail(demo, smtp)
    before = _history(approve)
    for _ in range(2):
        response = Client().get(links["Согласовать"])
        assert response.status_code == 200
        _assert_no_session(response)
        page = response.content.decode()
        assert "Согласовать документ" in page and "Тестовое согласование" in page
        assert "Морозов Дмитрий Алексеевич" in page  # who started it: by name, not login
        assert "https://docs.example/reestr" in page  # the document of the step before
        assert "Подтвердить: Согласовать" in page
        assert 'name="comment"' not in page  # approving needs no comment
    approve.refresh_from_db()
    assert approve.status == AssignmentStatus.OPEN and _history(approve) == before
    assert not DecisionLink.objects.filter(used_at__isnull=False).exists()


def test_a_link_decides_once_and_a_second_use_is_told_who_and_when(processes, demo, smtp):
    approve, links, _mail = _approval_mail(demo, smtp)
    visitor = Client()
    response = visitor.post(links["Согласовать"])
    assert response.status_code == 200, response.content.decode()
    assert "Готово" in response.content.decode()
    _assert_no_session(response)
    approve.refresh_from_db()
    assert approve.status == AssignmentStatus.DONE and approve.completed_by == demo["director"]
    assert approve.data["decision"] == "approve"
    assert approve.instance.history.filter(event=HistoryEvent.COMPLETED, key="approve_doc").count() == 1

    when = approve.completed_at.astimezone(clock_zone()).strftime("%d.%m.%Y %H:%M")
    again = visitor.post(links["Согласовать"])
    assert again.status_code == 410
    page = again.content.decode()
    assert "уже использована" in page and "Соколов Андрей Викторович" in page and when in page
    other = visitor.get(links["Не согласовать"])  # the other outcome died with the assignment
    assert other.status_code == 410 and "Задание уже выполнено" in other.content.decode()
    assert approve.instance.history.filter(event=HistoryEvent.COMPLETED, key="approve_doc").count() == 1
    # Nobody was logged in: the pages of work still ask for the log-in.
    assert visitor.get("/assignments/").status_code == 302


def clock_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings.TIME_ZONE)


def test_a_link_is_dead_once_the_assignment_was_delegated(processes, demo, smtp):
    approve, links, _mail = _approval_mail(demo, smtp)
    actions.delegate(approve.pk, by=demo["director"].user, to="findir", comment="Посмотри ты")
    for response in (Client().get(links["Согласовать"]), Client().post(links["Согласовать"])):
        assert response.status_code == 410
        assert "передано другому сотруднику" in response.content.decode()
    approve.refresh_from_db()
    assert approve.status == AssignmentStatus.OPEN and approve.assignee.user.username == "findir"
    assert DecisionLink.objects.filter(assignment=approve, revoked_at__isnull=False).count() == 2
    # Given back to the director, the old mail's links stay dead: they were revoked.
    actions.delegate(approve.pk, by=demo["findir"].user, to="director")
    assert Client().post(links["Согласовать"]).status_code == 410
    approve.refresh_from_db()
    assert approve.status == AssignmentStatus.OPEN


@pytest.mark.parametrize(
    "path",
    [
        "/a/" + "Q7bX-2_mZ" * 4 + "k3p9abc",  # the right shape (43 characters of a token), no such link
        "/a/short",
        "/a/" + "x" * 5000,
        "/a/%D0%B0%D0%B1%D0%B2",
    ],
)
def test_a_forged_link_is_not_found(processes, demo, smtp, path):
    _approval_mail(demo, smtp)
    for response in (Client().get(path), Client().post(path, {"comment": "x"})):
        assert response.status_code == 404
        _assert_no_session(response)
    assert not DecisionLink.objects.filter(used_at__isnull=False).exists()


def test_a_real_link_with_anything_added_is_not_found(processes, demo, smtp):
    _approve, links, _mail = _approval_mail(demo, smtp)
    for path in (links["Согласовать"] + "%0A", links["Согласовать"] + "x", links["Согласовать"][:-1]):
        response = Client().post(path)
        assert response.status_code == 404
        _assert_no_session(response)
    assert not DecisionLink.objects.filter(used_at__isnull=False).exists()


def test_a_link_expires_after_seven_days(processes, demo, smtp, time_machine):
    time_machine.move_to("2026-11-02T07:00:00+00:00", tick=False)
    approve, links, _mail = _approval_mail(demo, smtp)
    time_machine.move_to(clock.now() + timedelta(days=7) - timedelta(minutes=1), tick=False)
    assert Client().get(links["Согласовать"]).status_code == 200
    time_machine.move_to(clock.now() + timedelta(minutes=2), tick=False)
    for response in (Client().get(links["Согласовать"]), Client().post(links["Согласовать"])):
        assert response.status_code == 410 and "Срок действия ссылки истёк" in response.content.decode()
    approve.refresh_from_db()
    assert approve.status == AssignmentStatus.OPEN


def test_a_send_back_needs_its_comment(processes, demo, smtp):
    approve, links, _mail = _approval_mail(demo, smtp)
    page = Client().get(links["Не согласовать"]).content.decode()
    assert 'name="comment"' in page and "Подтвердить: Не согласовать" in page
    refused = Client().post(links["Не согласовать"], {"comment": "  "})
    assert refused.status_code == 400
    assert "Обязательное поле" in refused.content.decode()
    approve.refresh_from_db()
    assert approve.status == AssignmentStatus.OPEN
    assert not DecisionLink.objects.filter(used_at__isnull=False).exists()  # still usable
    done = Client().post(links["Не согласовать"], {"comment": "Нет печати на странице 3"})
    assert done.status_code == 200
    approve.refresh_from_db()
    assert approve.data == {"decision": "reject", "comment": "Нет печати на странице 3"}
    revise = Assignment.objects.get(instance_id=approve.instance_id, key="revise")
    assert revise.status == AssignmentStatus.OPEN and revise.assignee == demo["sales_head"]


def test_too_many_requests_from_one_address_are_refused(processes, demo, smtp):
    _approval_mail(demo, smtp)
    client = Client()
    path = "/a/" + secrets.token_urlsafe(32)
    answers = [client.get(path).status_code for _ in range(decision_link.BURST)]
    assert answers == [404] * decision_link.BURST
    refused = client.get(path)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert Client(REMOTE_ADDR="10.0.0.7").get(path).status_code == 404  # another address is not held up


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
def test_two_submits_at_the_same_instant_decide_once(demo, smtp):
    from engine.tests.flows import deploy_test_processes

    deploy_test_processes()
    approve, links, _mail = _approval_mail(demo, smtp)
    statuses: list[int] = []
    errors = race(
        lambda: statuses.append(Client().post(links["Согласовать"]).status_code),
        lambda: statuses.append(Client().post(links["Согласовать"]).status_code),
    )
    assert errors == []
    assert sorted(statuses) == [200, 410]
    approve.refresh_from_db()
    assert approve.status == AssignmentStatus.DONE
    assert approve.instance.history.filter(event=HistoryEvent.COMPLETED, key="approve_doc").count() == 1


def test_four_eyes_still_holds_for_a_link(demo, smtp):
    """The director holds the approval and, in parallel, the work it approves. Once he has done the
    work, his link of the approval gets the engine's refusal as a page, and no new link is made."""
    from engine.definitions import deploy
    from engine.tests.builder import DECISION_FORM, Process
    from notify import links

    p = Process("t_eyes_mail", "Согласование своей работы", properties={"start_roles": "*"})
    p.start().gateway("split", "parallel")
    p.user("work", "Подготовить документ", "role('director')")
    p.user("check", "Согласовать документ", "role('director')", form=DECISION_FORM, approval="true", approves="work")
    p.gateway("join", "parallel").end("done", outcome="approved")
    p.chain("start", "split", "work", "join", "done").chain("split", "check", "join")
    deploy(p.xml())
    instance = actions.start("t_eyes_mail", by=demo["sales_admin"].user)
    send_due(clock.now())
    mail = next(m for m in smtp.messages if "Согласовать документ" in plain_text(m))
    path = urlsplit(links_in(mail)["Согласовать"]).path
    work = instance.assignments.get(key="work")
    actions.complete(work.pk, by=demo["director"].user, data={"document_url": "https://docs.example/own"})

    refused = Client().post(path)
    assert refused.status_code == 403
    assert "согласовать свою работу нельзя" in refused.content.decode()
    check = instance.assignments.get(key="check")
    assert check.status == AssignmentStatus.OPEN
    assert not DecisionLink.objects.filter(used_at__isnull=False).exists()
    assert links.issue(check, instance) == []  # a link is not made for what the engine would refuse


def test_a_link_of_a_stopped_process_is_dead(processes, demo, smtp):
    approve, links, _mail = _approval_mail(demo, smtp)
    actions.stop(approve.instance_id, by=demo["sales_head"].user, reason="Не нужно")
    response = Client().post(links["Согласовать"])
    assert response.status_code == 410 and "Задание отменено" in response.content.decode()
    approve.refresh_from_db()
    assert approve.status == AssignmentStatus.CANCELLED
