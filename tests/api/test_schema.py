"""GET /api/schema/ (valid OpenAPI 3, every error documented) and GET /api/docs/ (no outside assets)."""

import re

import pytest
from django.contrib.staticfiles import finders
from openapi_spec_validator import validate
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("get", "/api/v1/permits/"), ("post", "/api/v1/permits/"), ("get", "/api/v1/permits/{number}/"),
    ("get", "/api/v1/permits/{number}/status/"), ("get", "/api/v1/permits/{number}/decisions/"),
    ("post", "/api/v1/permits/{number}/decisions/"), ("get", "/api/v1/permits/{number}/assurances/"),
    ("post", "/api/v1/permits/{number}/assurances/"), ("get", "/api/v1/assurances/{id}/"),
    ("patch", "/api/v1/assurances/{id}/"), ("get", "/api/v1/destinations/"),
    ("get", "/api/v1/destinations/{code}/"), ("post", "/api/v1/destinations/{code}/decisions/"),
    ("get", "/api/v1/destinations/{code}/evidence/"), ("post", "/api/v1/destinations/{code}/evidence/"),
    ("get", "/api/v1/evidence/{id}/"), ("patch", "/api/v1/evidence/{id}/"),
    ("get", "/api/v1/evidence/{id}/attachments/"), ("post", "/api/v1/evidence/{id}/attachments/"),
    ("get", "/api/v1/attachments/{id}/download/"), ("get", "/api/v1/flags/"), ("get", "/api/v1/flags/{id}/"),
    ("post", "/api/v1/flags/{id}/resolve/"), ("get", "/api/v1/ledger/head/"), ("get", "/api/v1/events/"),
    # Long work, imports and reviews (December 2026).
    ("get", "/api/v1/jobs/{id}/"), ("post", "/api/v1/permits/import/"),
}


@pytest.fixture
def schema():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def test_schema_is_valid_openapi(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")


def test_schema_has_exactly_the_contract_operations(schema):
    found = {(method, path) for path, ops in schema["paths"].items() for method in ops
             if method in {"get", "post", "patch", "put", "delete"}}
    assert found == OPERATIONS


def test_every_operation_documents_its_errors_with_examples(schema):
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            expected = {"400", "401", "403", "404", "429"} | ({"409", "413"} if method != "get" else set())
            assert expected <= set(op["responses"]), (method, path)
            for code in expected:
                content = op["responses"][code]["content"]["application/json"]
                assert content["examples"], (method, path, code)
            assert "Retry-After" in op["responses"]["429"]["headers"]
            assert "WWW-Authenticate" in op["responses"]["401"]["headers"]
            assert {"tokenAuth": []} in op["security"]


def test_format_json_query(schema):
    assert APIClient().get("/api/schema/?format=json").json() == schema


def test_yaml_by_default():
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200 and b"openapi: 3" in response.content


def test_docs_page_loads_no_outside_asset():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(url.startswith("/") for url in urls), urls
    assert "cdn" not in html.lower()
    assert all(url.startswith("/static/drf_spectacular_sidecar/") or url.startswith("/api/")
               for url in urls), urls
    # No inline script either, so a strict Content-Security-Policy can serve it.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html)
    init = [url for url in urls if url.startswith("/api/docs/")]
    assert init and APIClient().get(init[0].replace("&amp;", "&")).status_code == 200
    for url in urls:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url  # shipped with the deployment


def test_schema_documents_the_corrections(schema):
    """Amend and rescind (the decision body's changes and rescinds), the decisions' new fields, known_at."""
    components = schema["components"]["schemas"]
    decision_input = components["DecisionInputRequest"]["properties"]
    assert {"changes", "rescinds"} <= set(decision_input)
    changes = components["AmendChangesInputRequest"]["properties"]
    assert set(changes) == {"valid_until", "consignee", "end_user", "end_use", "items"}
    assert set(components["AmendItemInputRequest"]["properties"]) == {"id", "quantity", "value"}
    assert {"amend", "rescind"} <= set(components["ClientDecisionKindEnum"]["enum"])
    assert "amend" not in components["BlanketDecisionKindEnum"]["enum"]
    assert "changes" not in components["BlanketDecisionInputRequest"]["properties"]
    assert {"changes", "rescinds", "rescinded_by"} <= set(components["Decision"]["properties"])
    status = schema["paths"]["/api/v1/permits/{number}/status/"]["get"]
    assert "known_at" in {p["name"] for p in status["parameters"]}
    assert "known_at" in components["StatusAsOf"]["properties"]
