"""GET /api/v1/events/: every role reads, pages with next_after, bad values are 400."""

import datetime as dt

import pytest

from permits import services
from permits.events.models import Event
from tests.api.conftest import ROLES, client_for  # noqa: F401 (a fixture)
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


@pytest.fixture
def register(decision_maker):
    for i in range(4):
        PermitFactory(number=f"EXP-FEED-{i}")
    services.record_blanket_decision(destination="TR", kind="suspend", reason="r",
                                     effective_on=dt.date(2020, 10, 5), decided_by=decision_maker)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "norole"])
def test_every_role_reads_the_feed(client_for, register, role):
    response = client_for(role).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert [e["seq"] for e in body["events"]] == list(Event.objects.order_by("seq").values_list("seq", flat=True))
    assert body["next_after"] == body["events"][-1]["seq"]


def test_no_role_and_anonymous_are_refused(client_for, register):
    assert client_for("norole").get(URL).status_code == 403
    assert client_for(None).get(URL).status_code == 401


def test_paging_with_next_after_sees_each_event_once(client_for, register):
    client, after, seen = client_for("reader"), 0, []
    while True:
        body = client.get(URL, {"after": after, "limit": 3}).json()
        assert len(body["events"]) <= 3
        if not body["events"]:
            assert body["next_after"] == after
            break
        seen += body["events"]
        after = body["next_after"]
    assert [e["seq"] for e in seen] == list(Event.objects.order_by("seq").values_list("seq", flat=True))
    suspended = [e for e in seen if e["type"] == "permit.suspended"]
    assert len(suspended) == 4
    event = suspended[0]
    assert event["id"].startswith("evt_") and event["time"].endswith("Z")
    assert event["data"]["destination"] == "TR" and event["data"]["status"] == "suspended"
    assert event["data"]["since"] == "2020-10-05" and event["data"]["decision"]["kind"] == "suspend"


@pytest.mark.parametrize("query", [
    {"limit": 0}, {"limit": 1001}, {"limit": "ten"}, {"after": -1}, {"after": "x"},
    {"after": "9" * 30}, {"limit": "1.5"},
])
def test_bad_values_are_400(client_for, query):
    response = client_for("reader").get(URL, query)
    assert response.status_code == 400
    assert set(response.json()) & {"limit", "after"}


def test_limit_defaults_to_100_and_allows_1000(client_for, register):
    client = client_for("reader")
    assert client.get(URL, {"limit": 1000}).status_code == 200
    assert client.get(URL, {"after": 10**12}).json() == {"events": [], "next_after": 10**12}
