"""A company's documents (issue 14 point 3): a kind from the list, a link or a stored file, the
company's own version chain, the history in words, who may download, and the process end to end.

Real database, real storage (the test's own directory), the production BPMN file deployed the
production way; the people are the demo personas.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import storages

from base.errors import Invalid
from crm import services
from crm.models import Company, CompanyChange
from crm.tests.factories import deploy_counterparty_process, org_card
from crm.validation import validate_card
from crm.views import document_lines
from engine import actions
from engine.models import Assignment, AssignmentStatus, Instance
from files import services as files
from files.models import StoredFile

PDF = b"%PDF-1.4 the charter of Romashka"


def _row(**cells: Any) -> dict[str, Any]:
    return {"kind": "charter", "title": "Устав", "url": "", "file": None, **cells}


def _upload(who, content: bytes = PDF, name: str = "Устав.pdf") -> StoredFile:
    return files.store(content, by=who, name=name)


def _company(demo, *documents: dict[str, Any]) -> Company:
    card = services.fill_defaults(dict(validate_card(org_card(documents=list(documents))).cleaned), starter=None)
    return services.create_company(card, actor=demo["sales_admin"])


# --------------------------------------------------------------------------- the rule book


@pytest.mark.parametrize(
    ("row", "key", "message"),
    [
        ({"kind": "passport", "title": "Паспорт", "url": "https://d.example/p"}, "documents.0.kind", "Документ: вид"),
        ({"kind": "charter", "title": "Устав"}, "documents.0.url", "укажите ссылку или приложите файл"),
        ({"kind": "charter", "url": "https://docs.example/u"}, "documents.0.title", "укажите название"),
        ({"title": "Устав", "file": "первый"}, "documents.0.file", "ожидается номер загруженного файла"),
        ({"title": "Устав", "file": True}, "documents.0.file", "ожидается номер загруженного файла"),
        ({"title": "Устав", "file": 2**70}, "documents.0.file", "ожидается номер загруженного файла"),
    ],
)
def test_a_row_needs_a_kind_from_the_list_a_title_and_a_link_or_a_file(row, key, message):
    check = validate_card(org_card(documents=[row]))
    assert list(check.errors) == [key]
    assert message in check.errors[key][0]


def test_the_wrong_kind_is_told_with_the_list_of_kinds():
    (message,) = validate_card(org_card(documents=[_row(kind="passport", url="https://d.example/1")])).errors[
        "documents.0.kind"
    ]
    assert message.startswith("Документ: вид: выберите одно из значений:")
    assert "Договор, Устав, Письмо банка, Доверенность, Карточка реквизитов, Другое" in message


def test_a_link_or_a_file_either_will_do_and_no_kind_reads_other():
    rows = [
        {"title": "Письмо", "url": "https://docs.example/letter"},
        {"kind": "CONTRACT", "title": "Договор поставки", "file": "17"},
    ]
    check = validate_card(org_card(documents=rows))
    assert check.ok, check.errors
    assert check.cleaned["documents"] == [
        {"kind": "other", "title": "Письмо", "url": "https://docs.example/letter", "file": None},
        {"kind": "contract", "title": "Договор поставки", "url": "", "file": 17},
    ]


def test_two_rows_may_not_name_the_same_document():
    rows = [_row(url="https://d.example/1"), _row(title="устав ", url="https://d.example/2")]
    assert validate_card(org_card(documents=rows)).errors == {
        "documents.1.title": ["Документ: такой документ этого вида уже есть в строке 1 — дайте ему другое название"]
    }


def test_the_card_check_asks_the_files_room_about_the_callers_file(demo):
    mine = _upload(demo["manager1"])
    foreign = _upload(demo["manager2"])
    assert services.check_card(org_card(documents=[_row(file=mine.pk)]), by=demo["manager1"]).ok
    check = services.check_card(org_card(documents=[_row(file=foreign.pk)]), by=demo["manager1"])
    assert check.errors == {"documents.0.file": [f"Файл №{foreign.pk} не найден."]}


# --------------------------------------------------------------------------- the version chain


def test_a_file_added_then_replaced_makes_versions_one_and_two_both_downloadable(demo, login):
    first = _upload(demo["sales_admin"])
    company = _company(demo, _row(file=first.pk))
    owner = f"company:{company.pk}"
    (document,) = company.documents.all()
    assert document.file_id == first.pk  # an own unused upload becomes the company's version itself
    first.refresh_from_db()
    assert (first.document.owner, first.document.slot, first.version) == (owner, "documents/charter/устав", 1)

    second = _upload(demo["sales_admin"], b"%PDF-1.4 the charter, second edition", "Устав 2025.pdf")
    card = {**services.card_of(company), "documents": [_row(file=second.pk)]}
    services.update_company(company, card, actor=demo["sales_admin"])
    (document,) = company.documents.select_related("file").all()
    assert (document.file_id, document.file.version) == (second.pk, 2)
    assert [v.version for v in files.versions(owner)[0].versions.all()] == [1, 2]

    client = login("manager2")
    for stored, content in ((first, PDF), (second, b"%PDF-1.4 the charter, second edition")):
        response = client.get(stored.get_absolute_url())
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == content

    lines = _history_lines(company)
    assert lines == [["документ добавлен: Устав (Устав, Устав.pdf)"], ["документ заменён: Устав, версия 2"]]
    page = client.get(company.get_absolute_url()).content.decode()
    assert "документ добавлен: Устав (Устав, Устав.pdf)" in page
    assert "документ заменён: Устав, версия 2" in page
    assert f'href="{second.get_absolute_url()}"' in page and "Устав 2025.pdf" in page
    assert f"company:{company.pk}" not in page and "documents/charter" not in page


def test_saving_the_same_file_again_changes_nothing(demo):
    first = _upload(demo["sales_admin"])
    company = _company(demo, _row(file=first.pk))
    services.update_company(company, services.card_of(company), actor=demo["sales_admin"])
    same_bytes = _upload(demo["sales_admin"])  # another upload of the very same content
    card = {**services.card_of(company), "documents": [_row(file=same_bytes.pk)]}
    services.update_company(company, card, actor=demo["sales_admin"])
    assert [d.file_id for d in company.documents.all()] == [first.pk]
    assert StoredFile.objects.filter(document__owner=f"company:{company.pk}").count() == 1
    assert CompanyChange.objects.filter(company=company).count() == 1  # the creation only


def test_a_link_row_and_a_file_row_side_by_side_and_someone_elses_upload_is_refused(demo):
    foreign = _upload(demo["manager2"])
    card = services.fill_defaults(
        dict(validate_card(org_card(documents=[_row(kind="other", title="Сайт", url="https://r.example"),
                                               _row(file=foreign.pk)])).cleaned),
        starter=None,
    )
    with pytest.raises(Invalid) as refused:
        services.create_company(card, actor=demo["sales_admin"])
    assert refused.value.errors == {"documents.1.file": [f"Файл №{foreign.pk} не найден."]}
    assert not Company.objects.filter(inn=card["inn"]).exists()
    foreign.refresh_from_db()
    assert foreign.document_id is None


def test_history_lines_name_kind_title_and_file_or_link_in_words():
    old = [{"kind": "contract", "title": "Договор", "url": "https://d.example/1", "file": None}]
    new = [
        {"kind": "contract", "title": "Договор", "url": "https://d.example/2", "file": None},
        {"kind": "bank_letter", "title": "Письмо Сбербанка", "url": "https://d.example/3", "file": None},
    ]
    assert document_lines(old, new, {}) == [
        "документ изменён: Договор (Договор, https://d.example/2)",
        "документ добавлен: Письмо Сбербанка (Письмо банка, https://d.example/3)",
    ]
    assert document_lines(new, new[1:], {}) == ["документ убран из карточки: Договор"]
    # Rows older than kinds (title and url only) read as «Другое».
    assert document_lines(None, [{"title": "Устав", "url": "https://d.example/u"}], {}) == [
        "документ добавлен: Устав (Другое, https://d.example/u)"
    ]


# --------------------------------------------------------------------------- who may download


def test_who_may_not_see_the_company_gets_404_for_its_file(demo, login, client):
    stored = _upload(demo["sales_admin"])
    company = _company(demo, _row(file=stored.pk))
    assert login("manager3").get(stored.get_absolute_url()).status_code == 200
    nobody = get_user_model().objects.create_user("nobody", password="demo")  # a log-in, no employee
    client.force_login(nobody)
    assert client.get(stored.get_absolute_url()).status_code == 404
    assert client.get(company.get_absolute_url()).status_code == 404
    assert files.may_see(nobody, stored) is False


# --------------------------------------------------------------------------- the process end to end


def _open(instance: Instance) -> Assignment:
    return Assignment.objects.get(instance=instance, status=AssignmentStatus.OPEN)


def _do(demo, instance: Instance, who: str, data: dict[str, Any]) -> None:
    actions.complete(_open(instance).pk, by=demo[who].user, data=data)


def test_add_counterparty_with_a_file_row_gives_the_company_its_own_copy(demo):
    deploy_counterparty_process()
    instance = actions.start("add_counterparty", by=demo["manager1"].user)
    upload = _upload(demo["manager1"])
    rows = [_row(file=upload.pk), _row(kind="contract", title="Договор", url="https://docs.example/contract")]
    _do(demo, instance, "manager1", {**org_card(documents=rows), "action": "submit"})
    upload.refresh_from_db()
    assert (upload.document.owner, upload.version) == (f"instance:{instance.pk}", 1)
    # The line manager sends it back; the revision sends the same file back and changes nothing.
    _do(demo, instance, "sales_head", {"decision": "reject", "comment": "Проверьте адрес"})
    revise = _open(instance)
    assert revise.key == "revise_card"
    _do(demo, instance, "manager1", {**org_card(documents=rows), "action": "submit"})
    assert StoredFile.objects.filter(document__owner=f"instance:{instance.pk}").count() == 1
    _do(demo, instance, "sales_head", {"decision": "approve"})
    _do(demo, instance, "findir", {"decision": "approve"})

    company = Company.objects.get(created_by_instance=instance)
    charter, contract = company.documents.select_related("file__document").all()
    assert (contract.kind, contract.url, contract.file) == ("contract", "https://docs.example/contract", None)
    own = charter.file
    assert own.pk != upload.pk  # a copy: the instance keeps its version, the company has its own
    assert (own.document.owner, own.document.slot) == (f"company:{company.pk}", "documents/charter/устав")
    assert own.version == 1
    assert (own.name, own.size, own.uploaded_by_id) == (upload.name, upload.size, demo["manager1"].pk)
    assert own.sha256 == upload.sha256 == hashlib.sha256(PDF).hexdigest()
    with storages["files"].open(own.storage_name, "rb") as handle:
        assert handle.read() == PDF
    assert _history_lines(company) == [
        [
            "документ добавлен: Устав (Устав, Устав.pdf)",
            "документ добавлен: Договор (Договор, https://docs.example/contract)",
        ]
    ]


def _history_lines(company: Company) -> list[list[str]]:
    from crm.views import history_rows

    return [row["documents"] for row in reversed(history_rows(company))]


# --------------------------------------------------------------------------- the process form


def _render_card_form(assignment: Assignment, user: Any) -> str:
    from django.template.loader import render_to_string

    from api.processes import assignment_form

    fields, context = assignment_form(assignment)
    return render_to_string(
        "crm/card_form.html",
        {"assignment": assignment, "fields": fields, "errors": {}, "warnings": {}, "context": context, "user": user},
    )


def test_the_revision_form_shows_each_rows_kind_and_its_file_as_the_upload_field(demo):
    deploy_counterparty_process()
    instance = actions.start("add_counterparty", by=demo["manager1"].user)
    fill_html = _render_card_form(_open(instance), demo["manager1"].user)
    assert 'name="documents.0.kind"' in fill_html and '<option value="bank_letter">Письмо банка</option>' in fill_html
    assert 'name="documents.0.file" value=""' in fill_html and 'name="_upload.documents.0.file"' in fill_html
    upload = _upload(demo["manager1"])
    _do(demo, instance, "manager1", {**org_card(documents=[_row(file=upload.pk)]), "action": "submit"})
    _do(demo, instance, "sales_head", {"decision": "reject", "comment": "Проверьте адрес"})

    html = _render_card_form(_open(instance), demo["manager1"].user)
    kind = html.split('name="documents.0.kind"')[1].split("</select>")[0]
    assert '<option value="charter" selected>Устав</option>' in kind
    cell = html.split('data-file-upload')[1].split('<script')[0]
    assert f'name="documents.0.file" value="{upload.pk}"' in cell
    assert 'type="file" id="upload-documents.0.file" name="_upload.documents.0.file"' in cell
    assert f'<a href="{upload.get_absolute_url()}">Устав.pdf</a>' in cell and "версия 1" in cell
    # Whoever may not see the file is not told its name, even with its id in the form's values.
    stranger = get_user_model().objects.create_user("stranger", password="demo")
    assert "Устав.pdf" not in _render_card_form(_open(instance), stranger)


def test_the_admin_edits_a_rows_kind_and_refuses_a_row_with_neither_link_nor_file(demo, login):
    from crm.tests.test_pages import _admin_form

    company = Company.objects.get(name="Мотор-Сервис Казань")
    admin = login("admin")
    row = {"documents-TOTAL_FORMS": "1", "documents-0-order": "0", "documents-0-kind": "charter"}
    refused = admin.post(
        f"/admin/crm/company/{company.pk}/change/", {**_admin_form(company), **row, "documents-0-title": "Устав"}
    )
    assert refused.status_code == 200 and "Документ: укажите ссылку или приложите файл" in refused.content.decode()
    saved = admin.post(
        f"/admin/crm/company/{company.pk}/change/",
        {**_admin_form(company), **row, "documents-0-title": "Устав", "documents-0-url": "https://d.example/u"},
    )
    assert saved.status_code == 302
    assert [(d.kind, d.title) for d in company.documents.all()] == [("charter", "Устав")]


def test_the_card_page_form_takes_a_file_sent_with_it_without_javascript(demo, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    deploy_counterparty_process()
    instance = actions.start("add_counterparty", by=demo["manager1"].user)
    fill = _open(instance)
    client = login("manager1")
    page = client.get(f"/assignments/{fill.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="_upload.documents.0.file"' in page
    card = {key: value for key, value in org_card().items() if key not in ("contacts", "documents")}
    sent = client.post(
        f"/assignments/{fill.pk}/",
        {
            **card,
            "documents.0.kind": "requisites",
            "documents.0.title": "Карточка предприятия",
            "_upload.documents.0.file": SimpleUploadedFile("Реквизиты.pdf", PDF),
            "action": "submit",
        },
    )
    assert sent.status_code == 302, sent.content.decode()[:2000]
    (row,) = Instance.objects.get(pk=instance.pk).variables["documents"]
    stored = StoredFile.objects.select_related("document").get(pk=row["file"])
    assert (row["kind"], stored.name) == ("requisites", "Реквизиты.pdf")
    assert stored.document.owner == f"instance:{instance.pk}"
