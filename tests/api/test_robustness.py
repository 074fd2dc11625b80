"""Whatever a client sends, the API answers 4xx with a message, never 5xx."""

import json

import pytest
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient

from permits.models import Permit
from tests.api.conftest import evidence_body, new_permit_body

pytestmark = pytest.mark.django_db


def _post_raw(client, url, raw, content_type="application/json"):
    return client.generic("POST", url, raw, content_type=content_type)


def test_ten_megabyte_body_is_413(client_for):
    body = json.dumps(new_permit_body(end_use="x" * (10 * 1024 * 1024)))
    response = _post_raw(client_for("official"), "/api/v1/permits/", body)
    assert response.status_code == 413 and "detail" in response.json()
    assert not Permit.objects.exists()


def test_deeply_nested_json_is_400(client_for):
    raw = "[" * 200_000 + "]" * 200_000
    response = _post_raw(client_for("official"), "/api/v1/permits/", raw)
    assert response.status_code == 400 and "nested" in response.json()["detail"]
    raw = '{"items": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert _post_raw(client_for("official"), "/api/v1/permits/", raw).status_code == 400


@pytest.mark.parametrize("raw", ["{", "not json", '{"number": NaN}', '{"a": Infinity}', "\xff\xfe", "[]", '"x"',
                                 "null", "1"])
def test_malformed_or_non_object_json_is_400(client_for, raw):
    response = _post_raw(client_for("official"), "/api/v1/permits/", raw.encode("latin-1"))
    assert response.status_code == 400, response.content
    assert response.json()


def test_other_media_type_is_415(client_for):
    response = _post_raw(client_for("official"), "/api/v1/permits/", "number=1",
                         content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


@pytest.mark.parametrize("change", [
    {"number": "EXP\x00-1"}, {"exporter": "L3\x00Harris"}, {"consignee": "\x00"},
    {"items": [{"control_entry": "2-15", "description": "a\x00", "quantity": 1, "value": "1"}]},
    {"items": [{"control_entry": "2-15", "description": "a", "quantity": 10**30, "value": "1"}]},
    {"items": [{"control_entry": "2-15", "description": "a", "quantity": -(10**30), "value": "1"}]},
    {"items": [{"control_entry": "2-15", "description": "a", "quantity": 1.5, "value": "1"}]},
    {"items": [{"control_entry": "2-15", "description": "a", "quantity": 1, "value": "1e400"}]},
    {"items": [{"control_entry": "2-15", "description": "a", "quantity": 1, "value": "NaN"}]},
    {"items": "many"}, {"items": [1, 2]}, {"items": {"a": 1}},
    {"issued_on": "0001-01-01", "valid_until": "0000-12-31"}, {"issued_on": "9999-12-31"},
    {"issued_on": 20200512}, {"destination": None}, {"destination": ["TR"]}, {"destination": "\x00\x00"},
    {"status": None}, {"number": 12.5}, {"number": "A" * 10_000},
])
def test_hostile_permit_fields_are_400(client_for, change):
    response = client_for("official").post("/api/v1/permits/", new_permit_body(**change), format="json")
    assert response.status_code == 400, (change, response.content)


def test_out_of_range_dates_in_a_valid_permit_do_not_overflow(client_for, decision_maker):
    body = new_permit_body(issued_on="0001-01-01", valid_until="9999-12-31")
    client = client_for("official")
    assert client.post("/api/v1/permits/", body, format="json").status_code == 201
    reader = client_for("reader")
    for as_of in ("0001-01-01", "9999-12-31"):
        response = reader.get(f"/api/v1/permits/EXP-2020-00999/status/?as_of={as_of}")
        assert (response.status_code, response.json()["status"]) == (200, "active")
    old = new_permit_body("EXP-OLD-1", issued_on="0001-01-01", valid_until="0001-01-01")
    assert client.post("/api/v1/permits/", old, format="json").status_code == 201
    assert reader.get("/api/v1/permits/EXP-OLD-1/status/?as_of=0001-01-02").json()["status"] == "expired"
    assert reader.get("/api/v1/permits/?status=expired").json()["count"] == 1


@pytest.mark.parametrize("change", [
    {"observed_on": "0000-01-01"}, {"published_on": "99999-01-01"}, {"control_entries": ["\x00"]},
    {"end_users": ["a" * 201]}, {"serial_numbers": ["\x00"]}, {"diverted_to": 7},
])
def test_hostile_evidence_fields_are_400(client_for, world, change):
    response = client_for("official").post("/api/v1/destinations/TR/evidence/", evidence_body(**change),
                                           format="json")
    assert response.status_code == 400, (change, response.content)


@pytest.mark.parametrize("raw", [
    '{"title": "\\ud800", "source_type": "ngo", "observed_on": "2020-10-20", "credibility": "low"}',
    '{"title": "x", "source_type": "ngo", "observed_on": "2020-10-20", "credibility": "low", "n": 1e400}',
])
def test_hostile_raw_json_is_400(client_for, world, raw):
    response = _post_raw(client_for("official"), "/api/v1/destinations/TR/evidence/", raw)
    assert response.status_code == 400, response.content


def test_infinite_number_in_an_item_is_400(client_for):
    raw = json.dumps(new_permit_body()).replace('"3500000.00"', "1e400")
    response = _post_raw(client_for("official"), "/api/v1/permits/", raw)
    assert response.status_code == 400 and "items" in response.json()


@pytest.mark.parametrize("query", [
    "page=-1", "page=0", "page=1e999", "page=%00", "page_size=-1", "page_size=0",
    "page_size=99999999999999999999999", "page_size=%00", "q=%00", "destination=%00", "status=%00",
    "control_entry=%00", "flagged=%00", "exporter=" + "x" * 5000,
])
def test_hostile_query_strings_are_4xx(client_for, world, query):
    for url in ("/api/v1/permits/", "/api/v1/flags/", "/api/v1/destinations/"):
        response = client_for("reader").get(f"{url}?{query}")
        assert response.status_code < 500, (url, query, response.content)
        assert response.status_code in (200, 400, 404)


@pytest.mark.parametrize("path", [
    "/api/v1/permits/%00/", "/api/v1/permits/EXP%00123/status/", "/api/v1/destinations/%00/evidence/",
])
def test_nul_in_a_path_is_400(client_for, path):
    response = client_for("reader").get(path)
    assert response.status_code == 400 and "NUL" in response.json()["detail"]


@pytest.mark.parametrize("path", [
    "/api/v1/evidence/99999999999999999999999/", "/api/v1/flags/99999999999999999999999/",
    "/api/v1/assurances/9223372036854775808/", "/api/v1/permits/" + "A" * 5000 + "/",
])
def test_hostile_paths_are_404(client_for, path):
    assert client_for("reader").get(path).status_code == 404


def test_no_credentials_is_401_with_www_authenticate():
    response = APIClient().get("/api/v1/permits/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("header", [
    "Token nonsense", "Token ", "Token a b", "Token \x00\x00", "Token " + "\xff" * 10, "Token " + "a" * 5000,
])
def test_bad_tokens_are_401(header):
    response = APIClient().get("/api/v1/permits/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401, response.content


def test_expired_and_revoked_tokens_are_401(make_user):
    import datetime as dt

    user = make_user("reader", username="temp-reader")
    token_row, token = AuthToken.objects.create(user=user, expiry=dt.timedelta(days=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/permits/").status_code == 200
    AuthToken.objects.filter(pk=token_row.pk).update(expiry="2000-01-01T00:00:00Z")
    assert client.get("/api/v1/permits/").status_code == 401
    _row, token = AuthToken.objects.create(user=user, expiry=None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/permits/").status_code == 200
    AuthToken.objects.filter(user=user).delete()
    assert client.get("/api/v1/permits/").status_code == 401


def test_browser_session_reads_and_needs_csrf_to_write(make_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(make_user("official", username="browser-official"))
    assert client.get("/api/v1/permits/").status_code == 200
    assert client.post("/api/v1/permits/", new_permit_body(), format="json").status_code == 403


@pytest.fixture
def throttled(settings):
    cache.clear()
    settings.API_THROTTLE_RATE = "3/min"
    yield
    cache.clear()


def test_throttle_per_token_with_retry_after(client_for, throttled):
    reader = client_for("reader")
    codes = [reader.get("/api/v1/destinations/TR/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = reader.get("/api/v1/destinations/TR/")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert response.json()["detail"]
    assert client_for("official").get("/api/v1/destinations/TR/").status_code == 200  # another token


def test_throttle_off(client_for, settings):
    settings.API_THROTTLE_RATE = None
    reader = client_for("reader")
    assert {reader.get("/api/v1/destinations/TR/").status_code for _ in range(20)} == {200}
