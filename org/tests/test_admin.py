"""The Django admin answers administrators (in Russian) and refuses everyone else."""

from __future__ import annotations

import pytest

from org.models import Employee

PAGES = ["/admin/", "/admin/org/employee/", "/admin/org/department/", "/admin/org/role/", "/admin/api/apitoken/"]


@pytest.mark.parametrize("url", PAGES)
def test_admin_pages_answer_for_an_administrator(login, demo, url):
    response = login("admin").get(url)
    assert response.status_code == 200
    assert 'lang="ru"' in response.content.decode()


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("username", ["director", "manager1"])
def test_admin_pages_refuse_others(login, demo, url, username):
    response = login(username).get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_deactivates_rather_than_deletes(login, demo):
    client = login("admin")
    target = demo["manager2"]
    response = client.post("/admin/org/employee/", {"action": "deactivate_selected", "_selected_action": [target.pk]})
    assert response.status_code == 302
    assert not Employee.objects.get(pk=target.pk).is_active
    assert client.get(f"/admin/org/employee/{target.pk}/delete/").status_code == 403


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("abcd", "слишком короткий"),  # four characters were accepted before issue 13
        ("Qw3rty!x9", "слишком короткий"),  # nine
        ("1234567890", "слишком широко распространён"),
        ("8405519736", "состоит только из цифр"),
        ("manager2@axioma", "слишком похож на"),  # the user's own e-mail
    ],
)
def test_the_admin_refuses_weak_passwords(login, demo, password, reason):
    user = demo["manager2"].user
    page = login("admin").post(f"/admin/auth/user/{user.pk}/password/", {"password1": password, "password2": password})
    assert page.status_code == 200 and reason in page.content.decode()
    user.refresh_from_db()
    assert user.check_password("demo")


def test_the_admin_sets_a_password_of_ten_characters_or_more(login, demo):
    user = demo["manager2"].user
    good = "Синий-кит-42"
    answer = login("admin").post(f"/admin/auth/user/{user.pk}/password/", {"password1": good, "password2": good})
    assert answer.status_code == 302
    user.refresh_from_db()
    assert user.check_password(good)
