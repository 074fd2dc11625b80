"""POST /api/v1/destinations/{code}/decisions/ — one decision on a destination, as one batch."""

import datetime as dt

import pytest

from permits.models import Decision, Permit
from tests.api.conftest import ROLES, assert_access
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/destinations/TR/decisions/"
SUSPEND = {"kind": "suspend", "reason": "Nagorno-Karabakh.", "authority": "EIPA s.10(1)",
           "effective_on": "2020-10-05"}


@pytest.mark.parametrize("role", [*ROLES, None])
def test_access(client_for, world, role):
    response = assert_access(client_for, role, "post", URL, SUSPEND, ("decision_maker",))
    assert (Permit.objects.get(number="EXP-2020-00123").status == "suspended") == (response.status_code == 201)


def test_applies_to_eligible_permits_only_as_one_batch(client_for):
    PermitFactory(number="TR-SENSOR-1")
    PermitFactory(number="TR-SENSOR-2", items=[{"control_entry": "2-5.b", "description": "Fire control",
                                                 "quantity": 1, "value": "10.00"}])
    PermitFactory(number="TR-LATER", issued_on=dt.date(2021, 1, 1))          # not started by 2020-10-05
    PermitFactory(number="TR-PENDING", status="pending", received_on=dt.date(2020, 1, 1))
    PermitFactory(number="AZ-1", destination="AZ")
    PermitFactory(number="TR-DUAL", items=[{"control_entry": "1-6.A.3", "description": "Camera",
                                             "quantity": 1, "value": "10.00"}])
    client = client_for("decision_maker")
    response = client.post(URL, {**SUSPEND, "control_entry": "2-"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["affected"] == 2 and sorted(body["permits"]) == ["TR-SENSOR-1", "TR-SENSOR-2"]
    batch = Decision.objects.filter(batch=body["batch"])
    assert batch.count() == 2 and set(batch.values_list("kind", flat=True)) == {"suspend"}
    statuses = dict(Permit.objects.values_list("number", "status"))
    assert statuses == {"TR-SENSOR-1": "suspended", "TR-SENSOR-2": "suspended", "TR-LATER": "active",
                        "TR-PENDING": "pending", "AZ-1": "active", "TR-DUAL": "active"}
    again = client.post(URL, {**SUSPEND, "control_entry": "2-"}, format="json").json()
    assert again["affected"] == 0 and again["permits"] == []


def test_lowercase_code_and_unknown_country(client_for, world):
    client = client_for("decision_maker")
    assert client.post("/api/v1/destinations/tr/decisions/", SUSPEND, format="json").status_code == 201
    assert client.post("/api/v1/destinations/XX/decisions/", SUSPEND, format="json").status_code == 404
    assert client.post("/api/v1/destinations/TUR/decisions/", SUSPEND, format="json").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({**SUSPEND, "kind": "issue"}, "kind"), ({**SUSPEND, "kind": "expire"}, "kind"),
    ({**SUSPEND, "reason": ""}, "reason"), ({**SUSPEND, "control_entry": "2 15"}, "control_entry"),
    ({**SUSPEND, "effective_on": "9999-12-31"}, "effective_on"),
])
def test_bad_input_is_400(client_for, world, body, field):
    response = client_for("decision_maker").post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
