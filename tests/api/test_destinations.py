"""GET /api/v1/destinations/ and GET /api/v1/destinations/{code}/."""

import datetime as dt

import pytest

from permits.models import Destination, DestinationMeasure
from tests.api.conftest import ROLES, assert_access
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [*ROLES, None])
def test_list_access(client_for, world, role):
    assert_access(client_for, role, "get", "/api/v1/destinations/", None, ())


@pytest.mark.parametrize("role", [*ROLES, None])
def test_detail_access(client_for, world, role):
    assert_access(client_for, role, "get", "/api/v1/destinations/TR/", None, ())


def test_every_country_exists(client_for):
    body = client_for("reader").get("/api/v1/destinations/?page_size=500").json()
    assert body["count"] == Destination.objects.count() >= 249
    assert len(body["results"]) == 200  # clamped


def test_detail_with_counts_facts_and_measures(client_for, world):
    tr = world["destination"]
    DestinationMeasure.objects.create(destination=tr, kind="new_permits_suspended",
                                      starts_on=dt.date(2019, 10, 11))
    DestinationMeasure.objects.create(destination=tr, kind="presumptive_denial", scope="2-",
                                      starts_on=dt.date(2020, 4, 16), ends_on=dt.date(2024, 1, 1))
    PermitFactory(number="TR-OLD", valid_until=dt.date(2021, 1, 1))   # expired by date: not active
    PermitFactory(number="TR-P", status="pending")
    body = client_for("reader").get("/api/v1/destinations/tr/").json()
    assert body["code"] == "TR" and body["name"] == "Türkiye"
    assert body["active_permits"] == 1
    assert body["open_flags"] == 1
    assert (body["nato_member"], body["eu_member"], body["on_afccl"], body["on_area_control_list"]) == (
        True, False, True, False)
    assert body["att_state_party"] is False
    assert [m["summary"] for m in body["current_measures"]] == ["new permits suspended since 2019-10-11"]


@pytest.mark.parametrize("code", ["XX", "TUR", "T", "1"])
def test_unknown_code_is_404(client_for, code):
    assert client_for("reader").get(f"/api/v1/destinations/{code}/").status_code == 404


def test_a_nul_code_is_refused_at_the_door(client_for):
    assert client_for("reader").get("/api/v1/destinations/%00%00/").status_code == 400
