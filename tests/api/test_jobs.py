"""Blanket decisions above SYNC_BATCH_LIMIT (202 with a job) and GET /api/v1/jobs/{id}/."""

import pytest

from permits.models import Decision, Job
from tests.factories import PermitFactory, new_token, token_client
from tests.permits.test_jobs import SUSPEND, _blanket_job

pytestmark = pytest.mark.django_db


# --- Blanket decisions above SYNC_BATCH_LIMIT ------------------------------------

def test_blanket_above_the_limit_answers_202_with_a_job_whose_result_is_the_201_body(
        client_for, settings, decision_maker, django_capture_on_commit_callbacks):
    for n in range(4):
        PermitFactory(number=f"TR-{n}")
    PermitFactory(number="AZ-1", destination="AZ")
    client = client_for("decision_maker")
    settings.SYNC_BATCH_LIMIT = 3
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/destinations/TR/decisions/", SUSPEND, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/jobs/{body['id']}/"
    assert body["kind"] == "blanket_decision" and body["progress"]["total"] == 4
    # Tasks run eagerly in tests: the job ran once the request's transaction committed.
    job = client.get(response["Location"]).json()
    assert job["state"] == "done" and job["error"] is None
    assert job["result"]["affected"] == 4 and sorted(job["result"]["permits"]) == [f"TR-{n}" for n in range(4)]
    assert job["progress"] == {"done": 4, "total": 4}
    assert set(Decision.objects.filter(batch=job["result"]["batch"]).values_list("permit__number", flat=True)) \
        == {f"TR-{n}" for n in range(4)}
    # The same request at or under the limit answers 201 with the same shape.
    settings.SYNC_BATCH_LIMIT = 4
    reinstate = client.post("/api/v1/destinations/TR/decisions/", {**SUSPEND, "kind": "reinstate"}, format="json")
    assert reinstate.status_code == 201 and set(reinstate.json()) == set(job["result"])
    assert reinstate.json()["affected"] == 4


def test_blanket_bad_input_is_400_before_any_job(client_for, settings):
    settings.SYNC_BATCH_LIMIT = 1
    response = client_for("decision_maker").post(
        "/api/v1/destinations/TR/decisions/", {**SUSPEND, "effective_on": "2999-01-01"}, format="json")
    assert response.status_code == 400 and not Job.objects.exists()


# --- GET /api/v1/jobs/{id}/ --------------------------------------------------------

@pytest.mark.parametrize("role, expected", [
    ("creator", 200), ("auditor", 200), ("superuser", 200), ("official", 404), ("reader", 404),
    ("decision_maker", 404), ("norole", 403), (None, 401),
])
def test_job_reading_rights(client_for, make_user, role, expected):
    creator = make_user("decision_maker", username="creator")
    job = _blanket_job(creator)
    client = token_client(new_token(creator)) if role == "creator" else client_for(role)
    response = client.get(f"/api/v1/jobs/{job.pk}/")
    assert response.status_code == expected, response.content
    if expected == 200:
        assert response.json() == {"id": job.pk, "kind": "blanket_decision", "state": "queued",
                                   "progress": {"done": 0, "total": 0}, "result": None, "error": None}


@pytest.mark.parametrize("segment", ["0", "99999999", "abc", "1e3", "9" * 30])
def test_unknown_or_malformed_job_ids_are_404(client_for, segment):
    assert client_for("auditor").get(f"/api/v1/jobs/{segment}/").status_code == 404

