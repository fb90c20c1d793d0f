"""The discussion's services on a real database: posting and reading a thread, mentions that let a
colleague in, the 15-minute correction, attachments seen as the thread is."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from base import clock
from base.errors import Forbidden, Invalid, NotFound
from base.texts import MAX_TEXT
from discussion import services
from discussion.models import Comment, Participant
from engine import access
from files import services as files
from files.hooks import owner
from files.models import StoredFile

from .conftest import PDF


def _thread(instance):
    return owner("instance", instance.pk)


def test_a_comment_on_an_instance_is_in_its_thread_with_author_and_time(instance, demo):
    before = clock.now()
    posted = services.post(demo["sales_head"].user, _thread(instance), "  Документ приложу завтра.  ")
    comments = services.thread(demo["director"].user, _thread(instance))
    assert [(c.pk, c.text, c.author) for c in comments] == [(posted.pk, "Документ приложу завтра.", demo["sales_head"])]
    assert before <= comments[0].created_at <= clock.now() and comments[0].edited_at is None
    assert comments[0].files == []


def test_a_company_card_thread_is_open_to_every_employee(company, demo):
    thread = owner("company", company.pk)
    services.post(demo["accountant"].user, thread, "Счёт оплачен.")
    services.post(demo["manager2"].user, thread, "Спасибо!")
    assert [c.text for c in services.thread(demo["manager3"].user, thread)] == ["Счёт оплачен.", "Спасибо!"]
    with pytest.raises(NotFound):
        services.thread(demo["manager3"].user, owner("company", 999_999))


def test_who_may_not_see_the_instance_may_not_read_or_write_its_thread(instance, demo, outsider):
    for person in (demo["accountant"].user, demo["manager1"].user, outsider.user):
        with pytest.raises(NotFound):
            services.thread(person, _thread(instance))
        with pytest.raises(NotFound):
            services.post(person, _thread(instance), "Можно мне?")
    assert not Comment.objects.exists()


@pytest.mark.parametrize("text", ["", "   ", "x" * (MAX_TEXT + 1), "нуль\x00"])
def test_an_empty_too_long_or_unstorable_text_is_refused_on_its_field(instance, demo, text):
    with pytest.raises(Invalid) as refused:
        services.post(demo["sales_head"].user, _thread(instance), text)
    assert list(refused.value.errors) == ["text"]
    assert not Comment.objects.exists()


def test_the_longest_text_is_kept_whole(instance, demo):
    text = "я" * MAX_TEXT
    assert services.post(demo["sales_head"].user, _thread(instance), text).text == text


def test_a_mention_makes_a_colleague_of_another_department_a_participant_who_sees_the_instance(instance, demo):
    accountant = demo["accountant"]
    assert not access.visible_instances(accountant.user).filter(pk=instance.pk).exists()
    services.post(demo["sales_head"].user, _thread(instance), "@accountant, проверьте оплату; @nobody, @sales_head.")
    assert list(Participant.objects.values_list("employee__user__username", "owner", "why")) == [
        ("accountant", _thread(instance), "mentioned")
    ]
    assert access.get_instance_for_user(accountant.user, instance.pk) == instance
    assert [c.text for c in services.thread(accountant.user, _thread(instance))] == [
        "@accountant, проверьте оплату; @nobody, @sales_head."
    ]
    # her manager sees what she takes part in, as for any instance; the rest of the company does not
    assert access.visible_instances(demo["findir"].user).filter(pk=instance.pk).exists()
    assert not access.visible_instances(demo["manager1"].user).filter(pk=instance.pk).exists()


def test_the_visible_instances_stay_one_query_with_the_participants(instance, demo, django_assert_num_queries):
    services.post(demo["sales_head"].user, _thread(instance), "@accountant")
    visible = access.visible_instances(demo["accountant"].user)  # the org chart is read here
    with django_assert_num_queries(1):
        assert list(visible) == [instance]


def test_mentions_are_of_active_employees_only_and_an_email_is_no_mention(demo):
    demo["manager3"].is_active = False
    demo["manager3"].save()
    found = services.mentions("@manager1 @manager3 @ghost ivan@manager2 (@director) @manager1 @sales_head.")
    assert [e.user.username for e in found] == ["manager1", "director", "sales_head"]


def test_the_author_corrects_a_comment_within_15_minutes_and_never_after(instance, demo):
    start = clock.now()
    with time_machine.travel(start, tick=False):
        comment = services.post(demo["sales_head"].user, _thread(instance), "Опечатка")
    with time_machine.travel(start + timedelta(minutes=15), tick=False):
        edited = services.edit(demo["sales_head"].user, comment.pk, "Без опечатки")
        assert (edited.text, edited.edited_at) == ("Без опечатки", start + timedelta(minutes=15))
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert not services.may_edit(demo["sales_head"].user, comment)
        with pytest.raises(Forbidden) as refused:
            services.edit(demo["sales_head"].user, comment.pk, "Поздно")
    assert "15 минут" in refused.value.message
    comment.refresh_from_db()
    assert comment.text == "Без опечатки"


def test_only_the_author_corrects_a_comment(instance, demo):
    comment = services.post(demo["sales_head"].user, _thread(instance), "Моё")
    with pytest.raises(Forbidden):
        services.edit(demo["director"].user, comment.pk, "Чужое")
    with pytest.raises(NotFound):  # who may not see the thread does not learn the comment exists
        services.edit(demo["accountant"].user, comment.pk, "Чужое")
    assert Comment.objects.get().text == "Моё"


def test_no_service_deletes_a_comment():
    assert not [name for name in dir(services) if "delete" in name or "remove" in name]


def test_attachments_are_seen_by_whoever_sees_the_thread_and_by_nobody_else(instance, demo, outsider):
    mine = files.store(PDF, name="Счёт №5.pdf", by=demo["sales_head"])
    comment = services.post(demo["sales_head"].user, _thread(instance), "Счёт во вложении", files=[mine.pk])
    assert [(f.pk, f.name, f.version) for f in comment.files] == [(mine.pk, "Счёт №5.pdf", 1)]
    stored = StoredFile.objects.select_related("document").get(pk=mine.pk)
    assert stored.document.owner == f"comment:{comment.pk}"
    assert files.get_file_for_user(demo["director"].user, mine.pk) == stored
    for person in (demo["accountant"].user, outsider.user):
        with pytest.raises(NotFound):
            files.get_file_for_user(person, mine.pk)
    services.post(demo["sales_head"].user, _thread(instance), "@accountant, посмотрите счёт")
    assert files.get_file_for_user(demo["accountant"].user, mine.pk) == stored


def test_an_unusable_file_refuses_the_whole_comment(instance, demo):
    theirs = files.store(PDF, name="Чужой.pdf", by=demo["director"])
    mine = files.store(PDF, name="Мой.pdf", by=demo["sales_head"])
    for sent in ([theirs.pk], [mine.pk, 999_999], ["abc"], [2**70]):
        with pytest.raises(Invalid) as refused:
            services.post(demo["sales_head"].user, _thread(instance), "С файлом", files=sent)
        assert list(refused.value.errors) == ["files"]
    services.post(demo["sales_head"].user, _thread(instance), "С файлом", files=[mine.pk])
    with pytest.raises(Invalid):  # already attached: a second comment cannot take it
        services.post(demo["sales_head"].user, _thread(instance), "Ещё раз", files=[mine.pk])
    assert Comment.objects.count() == 1
