"""Issue 3, "Done when": a client written only from the contract, with an official,
a decision_maker and a reader token, runs the demo case end to end."""

import pytest
from django.db import connection

from tests.conftest import wait_for
from tests.factories import UserFactory, new_token, token_client

NUMBERS = ["EXP-2020-00123", "EXP-2020-00124", "EXP-2020-00125"]


def _client(role):
    user = UserFactory(role=role, username=f"e2e-{role}")
    return token_client(new_token(user))


def _permit(number):
    return {"number": number, "exporter": "L3Harris WESCAM", "exporter_email": "exports@example.com",
            "destination": "TR", "consignee": "Baykar", "end_user": "Turkish Armed Forces",
            "end_use": "UAV sensor payload", "status": "active", "issued_on": "2020-05-12",
            "valid_until": "2030-05-11", "currency": "CAD",
            "items": [{"control_entry": "2-15.a", "description": "MX-15D EO/IR sensor", "quantity": 7,
                       "value": "3500000.00"}]}


def run_scenario(flags_appear):
    official, minister, reader = _client("official"), _client("decision_maker"), _client("reader")

    for number in NUMBERS:
        assert official.post("/api/v1/permits/", _permit(number), format="json").status_code == 201
    euc = {"kind": "euc", "issuer": "Republic of Türkiye", "issued_on": "2020-04-01"}
    assurance = official.post(f"/api/v1/permits/{NUMBERS[0]}/assurances/", euc, format="json").json()

    evidence = official.post("/api/v1/destinations/TR/evidence/", {
        "title": "Downed TB2 carried a CMX-15D", "source_type": "official", "observed_on": "2020-10-20",
        "diverted_to": "AZ", "location": "Nagorno-Karabakh", "credibility": "high",
        "control_entries": ["2-15"], "end_users": ["Baykar"]}, format="json")
    assert evidence.status_code == 201 and evidence.json()["flagging"] in ("queued", "done")
    flags = flags_appear(reader, evidence.json()["id"])
    assert sorted(f["permit"] for f in flags) == NUMBERS
    assert {f["relevance"] for f in flags} == {"high"} and {f["status"] for f in flags} == {"open"}
    assert reader.get("/api/v1/destinations/TR/").json()["open_flags"] == 3

    suspend = {"kind": "suspend", "reason": "Credible reports of use in Nagorno-Karabakh.",
               "effective_on": "2020-10-05"}
    assert official.post("/api/v1/destinations/TR/decisions/", suspend, format="json").status_code == 403
    blanket = minister.post("/api/v1/destinations/TR/decisions/", suspend, format="json")
    assert blanket.status_code == 201
    assert blanket.json()["affected"] == 3 and sorted(blanket.json()["permits"]) == NUMBERS

    for number in NUMBERS:
        status = f"/api/v1/permits/{number}/status/?as_of="
        assert reader.get(status + "2020-10-04").json()["status"] == "active"
        after = reader.get(status + "2020-11-01").json()
        assert (after["status"], after["since"], after["decision"]["kind"]) == ("suspended", "2020-10-05", "suspend")

    cancel = {"kind": "cancel", "reason": "Not consistent with the end-use assurances.",
              "effective_on": "2021-04-12"}
    cancelled = minister.post("/api/v1/destinations/TR/decisions/", cancel, format="json").json()
    assert cancelled["affected"] == 3
    refused = minister.post(f"/api/v1/permits/{NUMBERS[0]}/decisions/",
                            {"kind": "reinstate", "reason": "Second thoughts."}, format="json")
    assert refused.status_code == 409 and refused.json()["detail"]
    assert reader.get(f"/api/v1/permits/{NUMBERS[0]}/status/?as_of=2021-04-12").json()["status"] == "cancelled"
    assert reader.get(f"/api/v1/permits/{NUMBERS[0]}/status/?as_of=2020-12-31").json()["status"] == "suspended"

    # The reader reads all of it ...
    for url in ["/api/v1/permits/?destination=TR", f"/api/v1/permits/{NUMBERS[0]}/",
                f"/api/v1/permits/{NUMBERS[0]}/decisions/", f"/api/v1/permits/{NUMBERS[0]}/assurances/",
                f"/api/v1/assurances/{assurance['id']}/", "/api/v1/destinations/", "/api/v1/destinations/TR/",
                "/api/v1/destinations/TR/evidence/", f"/api/v1/evidence/{evidence.json()['id']}/",
                "/api/v1/flags/", f"/api/v1/flags/{flags[0]['id']}/"]:
        assert reader.get(url).status_code == 200, url
    detail = reader.get(f"/api/v1/permits/{NUMBERS[0]}/").json()
    assert [d["kind"] for d in detail["decisions"]] == ["issue", "suspend", "cancel"]
    assert detail["status"] == "cancelled" and detail["open_flags"] == 1
    # ... and changes none of it.
    writes = [
        ("post", "/api/v1/permits/", _permit("EXP-2020-00999")),
        ("post", f"/api/v1/permits/{NUMBERS[0]}/decisions/", {"kind": "suspend", "reason": "x"}),
        ("post", "/api/v1/destinations/TR/decisions/", suspend),
        ("post", f"/api/v1/permits/{NUMBERS[0]}/assurances/", euc),
        ("patch", f"/api/v1/assurances/{assurance['id']}/", {"compliance": "breached"}),
        ("post", "/api/v1/destinations/TR/evidence/", {"title": "x", "source_type": "ngo",
                                                       "observed_on": "2020-10-20", "credibility": "low"}),
        ("post", f"/api/v1/flags/{flags[0]['id']}/resolve/", {"resolution": "cleared", "note": "x"}),
    ]
    for method, url, body in writes:
        assert getattr(reader, method)(url, body, format="json").status_code == 403, url
    assert reader.get("/api/v1/permits/").json()["count"] == 3


@pytest.mark.django_db
def test_done_when_with_eager_flagging():
    def flags_appear(reader, evidence_id):
        # The test's transaction never commits: run what the commit would have
        # run (queue the flagging task, eager here).
        pending, connection.run_on_commit[:] = list(connection.run_on_commit), []
        for _savepoints, callback, _robust in pending:
            callback()
        return reader.get(f"/api/v1/flags/?evidence={evidence_id}").json()["results"]

    run_scenario(flags_appear)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_done_when_with_a_real_worker(celery_worker):
    def flags_appear(reader, evidence_id):
        def done():
            body = reader.get(f"/api/v1/evidence/{evidence_id}/").json()
            return body["flagging"] == "done" and body
        assert wait_for(done, timeout=30)["flags_raised"] == 3
        return reader.get(f"/api/v1/flags/?evidence={evidence_id}").json()["results"]

    run_scenario(flags_appear)
