"""The OpenAPI document describes every answer, and the bounds it declares are the ones enforced.

Read from ``/api/v1/openapi.json`` itself, so an endpoint added later without a response schema, an
error status without the Error body, or a list without a largest ``limit`` fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from base.listing import MAX_LIMIT
from crm.tests.factories import deploy_counterparty_process, org_card
from engine import actions
from engine.models import Assignment, AssignmentStatus

BIG = 2**63  # one past the largest database integer
ERROR_REF = "#/components/schemas/Error"
#: The five paged lists of api.md.
LISTS = ["/api/v1/instances", "/api/v1/assignments", "/api/v1/tasks", "/api/v1/companies", "/api/v1/notifications"]


@pytest.fixture
def document(db: Any, client: Client) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _describes_fields(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A schema that says what comes back: an object with its properties, or a list of such."""
    schema = _resolve(document, schema)
    if schema.get("type") == "array":
        return _describes_fields(document, schema.get("items", {}))
    return schema.get("type") == "object" and bool(schema.get("properties"))


def _schema_of(answer: dict[str, Any]) -> dict[str, Any]:
    return answer.get("content", {}).get("application/json", {}).get("schema", {})


def _is_download(answer: dict[str, Any]) -> bool:
    """A file's bytes (a download): every media type of the answer a binary string, none JSON."""
    content = answer.get("content", {})
    return (
        bool(content)
        and "application/json" not in content
        and all(media.get("schema", {}).get("format") == "binary" for media in content.values())
    )


def _is_no_content(status: str, answer: dict[str, Any]) -> bool:
    """A 204: the answer is the status alone, by definition without a body to describe."""
    return status == "204" and not answer.get("content")


def test_every_operation_answers_with_a_described_schema(document):
    operations = _operations(document)
    assert len(operations) >= 20
    vague = []
    for method, path, operation in operations:
        successes = {status: answer for status, answer in operation["responses"].items() if status.startswith("2")}
        if not successes or not all(
            _describes_fields(document, _schema_of(a)) or _is_download(a) or _is_no_content(status, a)
            for status, a in successes.items()
        ):
            vague.append(f"{method} {path}")
    assert vague == []


def test_every_error_status_uses_the_error_schema(document):
    assert {"detail", "errors", "warnings"} <= set(document["components"]["schemas"]["Error"]["properties"])
    assert document["components"]["schemas"]["Error"]["required"] == ["detail"]
    wrong = [
        f"{method} {path} {status}"
        for method, path, operation in _operations(document)
        for status, answer in operation["responses"].items()
        if status[0] in "45" and _schema_of(answer).get("$ref") != ERROR_REF
    ]
    assert wrong == []


def test_every_authenticated_operation_declares_401_429_and_its_bad_input_400(document):
    missing = []
    for method, path, operation in _operations(document):
        declared = set(operation["responses"])
        if operation.get("security"):
            # 429: the token's rate limit (API_RATE_LIMIT) may answer any authenticated call.
            missing += [f"{method} {path} {status}" for status in ("401", "429") if status not in declared]
        if (operation.get("parameters") or operation.get("requestBody")) and "400" not in declared:
            missing.append(f"{method} {path} 400")
    assert missing == []


def test_the_token_endpoint_declares_wrong_credentials_and_the_lock(document):
    assert {"200", "401", "429"} <= set(document["paths"]["/api/v1/auth/token"]["post"]["responses"])


def test_every_list_has_a_bounded_limit_and_offset(document):
    paged = {}
    for _method, path, operation in _operations(document):
        parameters = {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if "limit" in parameters:
            paged[path] = parameters
    assert set(LISTS) <= set(paged)
    for path, parameters in paged.items():
        assert parameters["limit"].get("maximum") == MAX_LIMIT, path
        assert parameters["limit"].get("minimum") == 1, path
        assert parameters["offset"].get("minimum") == 0 and parameters["offset"].get("maximum"), path


def test_ids_are_bounded_in_the_document(document):
    unbounded = [
        f"{method} {path} {p['name']}"
        for method, path, operation in _operations(document)
        for p in operation.get("parameters", [])
        if p["in"] == "path" and p["name"].endswith("_id") and p["schema"].get("maximum") != BIG - 1
    ]
    assert unbounded == []


# ---------------------------------------------------------------- the bounds, enforced


def _refused_with_a_sentence(response: Any, field: str | None = None) -> dict[str, Any]:
    assert response.status_code in (400, 404), (response.status_code, response.content)
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"].strip()
    if field is not None:
        assert response.status_code == 400
        assert body["errors"][field] and all(isinstance(m, str) and m for m in body["errors"][field])
    return body


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(
    ("parameter", "value", "message"),
    [("limit", MAX_LIMIT + 1, "Не больше 500"), ("limit", 0, "Не меньше 1"), ("offset", -1, "Не меньше 0")],
)
def test_a_page_out_of_bounds_is_400_with_the_field(api_client, url, parameter, value, message):
    body = _refused_with_a_sentence(api_client("admin").get(url, {parameter: value}), parameter)
    assert body["errors"] == {parameter: [message]}


@pytest.mark.parametrize("url", LISTS)
def test_the_bounds_themselves_are_accepted(api_client, url):
    client = api_client("admin")
    assert client.get(url, {"limit": MAX_LIMIT, "offset": 0}).status_code == 200
    assert client.get(url, {"limit": 1, "offset": 2**31 - 1}).json()["items"] == []


@pytest.mark.parametrize("url", ["/api/v1/assignments", "/api/v1/tasks"])
def test_an_instance_past_the_largest_id_is_400_not_500(api_client, url):
    _refused_with_a_sentence(api_client("admin").get(url, {"instance": BIG}), "instance")


def test_the_card_check_refuses_an_instance_past_the_largest_id(api_client):
    response = api_client("admin").post(f"/api/v1/companies/check?instance={BIG}", {}, content_type="application/json")
    _refused_with_a_sentence(response, "instance")


def test_every_path_id_past_the_largest_is_refused_with_a_sentence(document, api_client):
    client = api_client("admin")
    tried = 0
    for method, path, operation in _operations(document):
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path" and p["name"].endswith("_id")]
        if not names:
            continue
        url = path
        for name in names:
            url = url.replace("{" + name + "}", str(BIG))
        response = client.generic(method, url, "{}", content_type="application/json")
        body = _refused_with_a_sentence(response)
        assert response.status_code == 404 or set(body["errors"]) >= set(names), (method, path, body)
        tried += 1
    assert tried >= 11


@pytest.mark.parametrize(
    ("url", "value"),
    [("/api/v1/assignments", "open"), ("/api/v1/instances", "running"), ("/api/v1/tasks", "open")],
)
def test_a_status_is_one_of_its_values_and_empty_means_any(api_client, url, value):
    client = api_client("admin")
    body = _refused_with_a_sentence(client.get(url, {"status": "maybe"}), "status")
    assert body["errors"]["status"][0].startswith("Допустимо:") and value in body["errors"]["status"][0]
    assert client.get(url, {"status": value}).status_code == 200
    assert client.get(url, {"status": ""}).json() == client.get(url).json()


def test_the_order_of_assignments_is_due_or_the_default(api_client):
    client = api_client("admin")
    _refused_with_a_sentence(client.get("/api/v1/assignments", {"order": "oldest"}), "order")
    assert client.get("/api/v1/assignments", {"order": "due"}).status_code == 200


# ---------------------------------------------------------------- keys some answers leave out


def test_optional_keys_stay_out_where_they_were_never_sent(processes, demo, api_client):
    """A typed answer has the keys the serialising functions wrote: a form field's ``required_if``
    and ``fields`` only where they apply, ``instance`` only on a duplicate that is still running;
    a null stays a null."""
    deploy_counterparty_process()
    client = api_client("manager1")
    started = client.post(
        "/api/v1/processes/t_reminder/start", {"variables": {}}, content_type="application/json"
    ).json()
    assert started["outcome"] is None and started["finished_at"] is None
    send = Assignment.objects.get(instance_id=started["id"], status=AssignmentStatus.OPEN)
    form = {f["id"]: f for f in api_client("sales_admin").get(f"/api/v1/assignments/{send.pk}").json()["form"]}
    assert "required_if" in form["comment"] and "required_if" not in form["sent"]
    assert "fields" not in form["sent"] and "min_items" not in form["sent"]

    card = actions.start("add_counterparty", by=demo["manager2"].user)
    fill = Assignment.objects.get(instance=card, status=AssignmentStatus.OPEN)
    fields = api_client(fill.assignee.username).get(f"/api/v1/assignments/{fill.pk}").json()["form"]
    contacts = next(f for f in fields if f["id"] == "contacts")
    assert contacts["type"] == "list" and {f["id"] for f in contacts["fields"]} >= {"name", "phone"}

    body = client.post("/api/v1/companies/check", org_card(name="Автодеталь-Центр"), content_type="application/json")
    assert body.status_code == 200
    for duplicate in body.json()["duplicates"]:
        assert "instance" not in duplicate and {"id", "name", "inn", "kpp", "reason", "url"} <= set(duplicate)


def test_a_refusal_has_only_its_detail_and_bad_input_its_errors(processes, api_client):
    client = api_client("manager1")
    refused = client.get("/api/v1/instances/999999")
    assert refused.status_code == 404 and set(refused.json()) == {"detail"}
    bad = client.post("/api/v1/processes/t_approval/start", {"variables": 5}, content_type="application/json")
    assert bad.status_code == 400 and set(bad.json()) == {"detail", "errors"}
