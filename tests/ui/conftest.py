import datetime as dt

import pytest

from reviews import services as review_services
from tests.factories import AssuranceFactory, EvidenceFactory, PermitFactory


@pytest.fixture
def scenario(db, official):
    """Two active TR permits with MX-15D sensors, one pending, one permit to AZ, one piece of
    evidence on TR with its flags raised."""
    a = PermitFactory(number="EXP-2020-00123")
    b = PermitFactory(number="EXP-2020-00124", consignee="Aselsan",
                      items=[{"control_entry": "2-5.b", "description": "Fire control unit", "quantity": 2,
                              "value": "120000.00"}])
    c = PermitFactory(number="EXP-2021-00001", status="pending", received_on=dt.date(2021, 1, 5))
    d = PermitFactory(number="EXP-2020-00900", destination="AZ", consignee="Azerbaijan MoD")
    assurance = AssuranceFactory(permit=a)
    evidence = EvidenceFactory(title="Downed TB2 carried a CMX-15D", control_entries=["2-15"],
                               end_users=["Baykar"], recorded_by=official)
    review_services.flag_evidence(evidence_id=evidence.pk)
    return {"a": a, "b": b, "c": c, "d": d, "assurance": assurance, "evidence": evidence}


@pytest.fixture
def client_for(client, make_user):
    """A test client signed in with the given role (None: signed in without a role)."""

    def login(role, username=None):
        user = make_user(role, username=username or f"{role or 'norole'}-user")
        client.force_login(user)
        return client

    return login
