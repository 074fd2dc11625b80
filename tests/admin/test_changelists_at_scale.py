"""The admin's lists read what they show, not the whole register (filters, counts, totals)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from permits.admin import distinct_entries, recent_exporters
from permits.models import Permit
from permits.models import PermitItem
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db


def _items(*entries):
    return [{"control_entry": e, "description": "x", "quantity": 1, "value": Decimal("1.00")} for e in entries]


@pytest.fixture
def register():
    PermitFactory(number="EXP-SCL-1", items=_items("2-15.a", "2-15.b", "1-6.A.3"))
    PermitFactory(number="EXP-SCL-2", items=_items("2-15.a", "2-5"), destination="GB")
    PermitFactory(number="EXP-SCL-3", items=_items("9-1"), destination="GB", status="pending")
    PermitFactory(number="EXP-SCL-4", items=_items("2-150"), destination="AZ", exporter="Aurora Avionics")


def _filter_choices(response, title):
    spec = next(s for s in response.context["cl"].filter_specs if str(s.title) == title)
    return [str(c["display"]) for c in spec.choices(response.context["cl"])][1:]  # without "All"


def test_distinct_entries_in_order(register):
    expected = sorted(set(PermitItem.objects.values_list("control_entry", flat=True)))
    assert distinct_entries(500) == expected == ["1-6.A.3", "2-15.a", "2-15.b", "2-150", "2-5", "9-1"]
    assert distinct_entries(2) == expected[:2]


def test_recent_exporters(register):
    expected = list(Permit.objects.order_by("exporter").values_list("exporter", flat=True).distinct())
    assert recent_exporters(100) == expected == ["Aurora Avionics", "L3Harris WESCAM"]
    assert recent_exporters(1) == ["Aurora Avionics"]
    newest = Permit.objects.order_by("-starts_on", "number").first().exporter
    assert recent_exporters(100, among=1) == [newest]


def test_permit_list_filters_offer_what_exists_without_scanning(register, login, decision_maker):
    with CaptureQueriesContext(connection) as ctx:
        response = login(decision_maker).get("/admin/permits/permit/")
    assert response.status_code == 200
    assert _filter_choices(response, "destination") == ["Azerbaijan (AZ)", "Türkiye (TR)", "United Kingdom (GB)"]
    entries = _filter_choices(response, "control entry")
    assert entries[:3] == ["Group 1", "Group 2", "Group 9"] and "2-150" in entries
    statements = [q["sql"] for q in ctx.captured_queries]
    assert not any("DISTINCT" in sql for sql in statements), statements
    assert _filter_choices(response, "exporter") == ["Aurora Avionics", "L3Harris WESCAM"]
    assert sum('COUNT(*) AS "__count" FROM "permits_permit"' in sql for sql in statements) == 1
    filtered = login(decision_maker).get("/admin/permits/permit/?destination__code__exact=GB")
    assert filtered.context["cl"].result_count == 2


def test_decision_list_destinations_and_no_date_scan(register, login, decision_maker):
    with CaptureQueriesContext(connection) as ctx:
        response = login(decision_maker).get("/admin/permits/decision/")
    assert response.status_code == 200
    # EXP-SCL-3 is pending: no decision, so it alone would not bring GB in; EXP-SCL-2 does.
    assert _filter_choices(response, "destination") == ["Azerbaijan (AZ)", "Türkiye (TR)", "United Kingdom (GB)"]
    assert not any("DATE_TRUNC" in q["sql"] or "MIN(" in q["sql"] for q in ctx.captured_queries)


def test_destination_list_counts_active_permits_per_row(register, login, decision_maker):
    response = login(decision_maker).get("/admin/permits/destination/?has_permits=yes")
    assert response.status_code == 200
    shown = {d.code: d._active for d in response.context["cl"].result_list}
    assert shown == {"AZ": 1, "GB": 1, "TR": 1}
