"""Counting a permit list: the cheap counts agree with counting the filtered permits."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from permits import selectors
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db


def _item(entry, description):
    return {"control_entry": entry, "description": description, "quantity": 1, "value": Decimal("10.00")}


@pytest.fixture
def register():
    PermitFactory(number="EXP-C-0001", items=[_item("2-15.a", "MX-15D sensor"), _item("2-15.b", "Gimbal")])
    PermitFactory(number="EXP-C-0002", items=[_item("2-15", "Laser rangefinder")])
    PermitFactory(number="EXP-C-0003", items=[_item("2-150", "Not a 2-15 item")], consignee="Navy of Example")
    PermitFactory(number="EXP-C-0004", items=[_item("2-5.c", "Navy radar"), _item("2-5", "Navy radar mount")],
                  consignee="Royal Navy", destination="GB")
    PermitFactory(number="EXP-C-0005", items=[_item("1-6.A.3", "Sonar")], exporter="Navy Systems Ltd")
    PermitFactory(number="EXP-C-0006", items=[_item("2-", "Whole group")], status="pending")


@pytest.mark.parametrize("filters", [
    {"control_entry": "2-15"}, {"control_entry": "2-15.a"}, {"control_entry": "2-1"}, {"control_entry": "2-"},
    {"control_entry": "2-5"}, {"control_entry": "1-6.A"}, {"control_entry": "9-"},
    {"q": "navy"}, {"q": "NAVY RADAR"}, {"q": "2-15"}, {"q": "EXP-C-000"}, {"q": "nothing like it"},
])
def test_a_single_filter_is_counted_without_the_permits_and_agrees(register, filters):
    expected = selectors.search_permits(**filters).count()
    assert selectors.search_count(**filters) == expected


def test_the_counts_are_what_they_should_be(register):
    assert selectors.search_count(control_entry="2-15") == 2  # 2-15.a/2-15.b (one permit), 2-15; not 2-150
    assert selectors.search_count(control_entry="2-") == 5
    assert selectors.search_count(q="navy") == 3  # a permit matching on two items and its consignee counts once


@pytest.mark.parametrize("filters", [
    {}, {"q": "navy", "control_entry": "2-5"}, {"control_entry": "2-5", "destination": "GB"},
    {"q": "navy", "status": "active"}, {"control_entry": "2-", "flagged": False}, {"q": "navy", "exporter": "x"},
])
def test_other_combinations_are_left_to_the_queryset(register, filters):
    assert selectors.search_count(**filters) is None


@pytest.mark.parametrize("query, expected", [
    ("control_entry=2-15", 2), ("control_entry=2-", 5), ("q=navy", 3),
    ("control_entry=2-5&destination=GB", 1), ("q=navy&status=active", 3), ("q=navy&control_entry=2-5", 1),
])
def test_the_api_count(register, client_for, query, expected):
    with CaptureQueriesContext(connection) as ctx:
        response = client_for("reader").get(f"/api/v1/permits/?{query}")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == expected == len(body["results"])
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"]]
    assert len(counts) == 1
    if "&" not in query:  # counted from the items or the ids alone, not by joining every permit
        assert 'COUNT(DISTINCT "permits_permititem"."permit_id")' in counts[0] or "UNION" in counts[0]


@pytest.mark.parametrize("query, expected", [("control_entry=2-15", 2), ("q=navy", 3), ("q=navy&status=pending", 0)])
def test_the_search_page_count(register, client, make_user, query, expected):
    client.force_login(make_user("reader", username="page-reader"))
    response = client.get(f"/permits/?{query}")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == expected == len(response.context["page"])
