"""schemathesis against the live test server: 0 server errors, 0 answers that break their own schema.

The way issue 13 found its 500s, kept in the suite: schemathesis (the version pinned in
``pyproject.toml``) reads ``/api/v1/openapi.json`` of Django's live server and runs every phase —
coverage (the schema's edges: bounds, wrong types, missing and extra fields), fuzzing and the
stateful phase (following the document's links: a started instance's assignments are read,
completed and delegated) — with ``--checks all``, once as a sales manager and once as the
administrator, each with their bearer token. A bounded number of examples per operation keeps it
near a minute on SQLite and PostgreSQL; run the CLI by hand with more to look further (README).

One check is left out, because it is wrong for this API by design (and one for the multipart
upload only, see ``CONFIG``):

* ``positive_data_acceptance`` demands 2xx for every body the schema allows. The schema cannot say
  what a business rule needs: ``data`` of a completion is checked by that assignment's own form,
  ``variables`` of a start by what that process declares, a card by the card's rule book, a task's
  ``responsible`` must be an active employee. Such input answers 400 with the fields, as it must.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from conftest import DEMO_PASSWORD
from crm.tests.fake_dadata import dadata  # noqa: F401 - a fixture
from engine import actions
from tasks.services import add_comment, create_task

SCHEMATHESIS = "4.32.5"
EXAMPLES = 25  # per operation and phase: the two runs together take about a minute
SEED = 13  # the same cases every run; change it (or run the CLI by hand) to look elsewhere
EXCLUDED = ["positive_data_acceptance"]
#: Every check runs (schemathesis's default) but those of ``EXCLUDED``; and the file upload, a
#: multipart form, carries every field as text: a "boolean" ``name`` arrives as the string "false",
#: a valid name, so "negative data" cannot be rejected there (schemathesis reports a changed type
#: that the wire does not carry). In the file, not on the command line: ``--checks`` given there
#: would override an operation's own setting.
CONFIG = "\n".join(
    [
        *(f"checks.{name}.enabled = false" for name in EXCLUDED),
        "",
        "[[operations]]",
        'include-path = "/api/v1/files"',
        'include-method = "POST"',
        "checks.negative_data_rejection.enabled = false",
        "",
    ]
)
ROOT = Path(__file__).resolve().parents[2]


def test_the_pinned_version_is_the_one_installed():
    pinned = [line for line in (ROOT / "pyproject.toml").read_text().splitlines() if '"schemathesis' in line]
    assert pinned == [f'    "schemathesis=={SCHEMATHESIS}",'] and version("schemathesis") == SCHEMATHESIS


@pytest.fixture
def data(demo: dict[str, Any], processes: dict[str, Any], dadata: Any) -> None:  # noqa: F811
    """Something in every list, so answers with rows are checked against their schemas too; the
    company lookup configured with the fake DaData server (without a provider it answers 503, which
    schemathesis rightly counts as a server error)."""
    from crm.tests.factories import deploy_counterparty_process

    deploy_counterparty_process()
    actions.start("t_approval", by=demo["manager1"].user, variables={"quarter": "2027-Q1"})
    actions.start("add_counterparty", by=demo["manager1"].user, variables={"name": "Заготовка"})
    actions.start("t_parallel", by=demo["admin"].user)
    task = create_task(title="Позвонить", responsible=demo["manager1"], created_by=demo["sales_head"])
    add_comment(task, author=demo["manager1"], text="Позвонил, перезвонят")


def _token(username: str) -> str:
    response = Client().post(
        "/api/v1/auth/token", {"username": username, "password": DEMO_PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.mark.parametrize("username", ["manager1", "admin"])
def test_schemathesis_finds_no_server_error_and_no_schema_violation(live_server, data, username, tmp_path):
    command = [
        sys.executable,
        "-c",
        "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
        "run",
        f"{live_server.url}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {_token(username)}",
        # A kept-alive connection to Django's live server waits ~40 ms per answer (a delayed ACK);
        # a new one per request takes ~5 ms.
        "--header",
        "Connection: close",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",  # the live server shares one database connection (SQLite in memory) between requests
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    (tmp_path / "schemathesis.toml").write_text(CONFIG)  # read from the working directory
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-20_000:]
    # The phases ran and tested something (a run that generates nothing passes too).
    generated = re.search(r"(\d+) generated, (\d+) passed", output)
    assert "Stateful" in output and generated and int(generated[1]) > 500 and generated[1] == generated[2], output


def test_the_links_the_stateful_phase_follows_lead_to_operations_of_the_document(db, client):
    document = client.get("/api/v1/openapi.json").json()
    operations = {
        operation["operationId"]: operation for item in document["paths"].values() for operation in item.values()
    }
    links = {
        (source["operationId"], name): link
        for source in operations.values()
        for answer in source["responses"].values()
        for name, link in answer.get("links", {}).items()
    }
    assert ("api_processes_start_process", "processes_complete_assignment") in links
    assert ("api_tasks_new_task", "tasks_create_comment") in links
    for link in links.values():
        target = operations[link["operationId"]]
        assert set(link["parameters"]) <= {p["name"] for p in target["parameters"] if p["in"] == "path"}
