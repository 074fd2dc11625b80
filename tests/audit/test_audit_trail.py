"""Every change is recorded by the database with who, when, which request, before and after."""

import datetime as dt
import os
import subprocess
import sys

import pghistory
import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.template.loader import render_to_string

from permits import audit, services
from permits.models import AuditEvent, DestinationMeasure, EndUseAssuranceEvent, PermitEvent
from tests.conftest import ROOT, test_database_url
from tests.factories import AssuranceFactory, PermitFactory

MEASURE_URL = "/admin/permits/destination/TR/change/"


def _post_measure(client, measure, notice_reference, ends_on, **headers):
    """Save the TR page of the admin with ``measure`` changed."""
    return client.post(MEASURE_URL, {
        "measures-TOTAL_FORMS": "1", "measures-INITIAL_FORMS": "1",
        "measures-MIN_NUM_FORMS": "0", "measures-MAX_NUM_FORMS": "1000",
        "measures-0-id": str(measure.pk), "measures-0-destination": "TR",
        "measures-0-kind": "presumptive_denial", "measures-0-scope": "2-",
        "measures-0-notice_reference": notice_reference, "measures-0-description": "",
        "measures-0-starts_on": "2020-04-16", "measures-0-ends_on": ends_on,
    }, **headers)


def _diff(event_model, pk):
    return AuditEvent.objects.across(event_model).get(pgh_id=pk).pgh_diff


@pytest.mark.django_db
def test_change_through_the_admin_is_attributed(client, decision_maker):
    measure = DestinationMeasure.objects.create(
        destination_id="TR", kind="presumptive_denial", scope="2-", starts_on=dt.date(2020, 4, 16),
    )
    client.force_login(decision_maker)
    response = _post_measure(client, measure, "Notice to Exporters No. 992", "2024-01-15",
                             HTTP_X_REQUEST_ID="req-admin-1")
    assert response.status_code == 302
    assert response["X-Request-ID"] == "req-admin-1"
    event = DestinationMeasure.pgh_event_model.objects.get(pgh_obj=measure, pgh_label="update")
    assert event.pgh_context["user"] == decision_maker.pk
    assert event.pgh_context["username"] == "minister"
    assert event.pgh_context["url"] == MEASURE_URL
    assert event.pgh_context["method"] == "POST"
    assert event.pgh_context["request_id"] == "req-admin-1"
    diff = _diff(DestinationMeasure.pgh_event_model, event.pgh_id)
    assert diff["ends_on"] == [None, "2024-01-15"]
    assert diff["notice_reference"] == ["", "Notice to Exporters No. 992"]


@pytest.mark.django_db
def test_decision_in_the_admin_records_the_status_change(client, decision_maker):
    permit = PermitFactory(number="EXP-AUD-ADM")
    client.force_login(decision_maker)
    page = client.post("/admin/permits/permit/", {"action": "suspend_selected", "_selected_action": [permit.pk]})
    form = page.context["form"]
    client.post("/admin/permits/permit/decide/suspend/", {
        "ids": form["ids"].value(), "expected": form["expected"].value(), "reason": "Evidence.",
        "authority": "EIPA s.10(1)", "effective_on": dt.date.today().isoformat(), "confirm": "1",
    })
    event = PermitEvent.objects.filter(pgh_obj=permit, pgh_label="update").latest("pgh_id")
    assert event.status == "suspended"
    assert event.pgh_context["username"] == "minister"
    assert event.pgh_context["url"] == "/admin/permits/permit/decide/suspend/"
    assert _diff(PermitEvent, event.pgh_id)["status"] == ["active", "suspended"]
    # The decision row itself is tied to the request it came from.
    from permits.models import DecisionEvent

    recorded = DecisionEvent.objects.get(permit=permit, kind="suspend", pgh_label="insert")
    assert recorded.pgh_context["username"] == "minister"
    assert recorded.pgh_context["request_id"] == event.pgh_context["request_id"]
    history = audit.permit_history(permit)
    assert any(e.model == "decision" and e.action == "insert" and e.username == "minister" for e in history)


@pytest.mark.urls("tests.audit.api_urls")
@pytest.mark.parametrize("autocommit", [
    pytest.param(False, marks=pytest.mark.django_db),
    # As in production: no surrounding test transaction, each statement commits.
    pytest.param(True, marks=pytest.mark.django_db(transaction=True)),
])
def test_change_through_an_api_request_is_attributed(client, official, autocommit):
    """DRF authenticates the token inside the view; the event still names the user."""
    from knox.models import AuthToken

    permit = PermitFactory(number="EXP-AUD-API")
    assurance = AssuranceFactory(permit=permit)
    _instance, token = AuthToken.objects.create(user=official)
    response = client.patch(
        f"/api/test/assurances/{assurance.pk}/", {"compliance": "breached"},
        content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 200, response.content
    event = EndUseAssuranceEvent.objects.get(pgh_obj=assurance, pgh_label="update")
    assert event.pgh_context["user"] == official.pk
    assert event.pgh_context["username"] == "official"
    assert event.pgh_context["url"] == f"/api/test/assurances/{assurance.pk}/"
    assert event.pgh_context["method"] == "PATCH"
    assert _diff(EndUseAssuranceEvent, event.pgh_id)["compliance"] == ["unknown", "breached"]


@pytest.mark.django_db(transaction=True)
def test_change_through_manage_py_shell_has_no_actor():
    permit = PermitFactory(number="EXP-AUD-SHELL")
    assurance = AssuranceFactory(permit=permit)
    code = (
        "from permits.models import EndUseAssurance; from permits import services; "
        f"a = EndUseAssurance.objects.get(pk={assurance.pk}); "
        "services.update_assurance(assurance=a, notes='Verified by embassy visit.')"
    )
    env = dict(os.environ, DATABASE_URL=test_database_url())
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    event = EndUseAssuranceEvent.objects.get(pgh_obj=assurance, pgh_label="update")
    assert event.pgh_context is None  # no request, no user
    assert _diff(EndUseAssuranceEvent, event.pgh_id)["notes"] == ["", "Verified by embassy visit."]


@pytest.mark.django_db
def test_group_membership_and_password_changes_are_recorded(make_user):
    from permits.models import UserEvent, UserGroupEvent

    user = make_user(None, username="newcomer")
    group = Group.objects.get(name="decision_maker")
    with pghistory.context(user=None, username="admin-script", url="/x"):
        user.groups.add(group)
        user.groups.remove(group)
        user.set_password("another-long-password-123")
        user.save()
    labels = list(UserGroupEvent.objects.filter(user=user).order_by("pgh_id").values_list("pgh_label", "group_id"))
    assert labels == [("insert", group.pk), ("delete", group.pk)]
    password = UserEvent.objects.get(pgh_obj=user, pgh_label="password_change")
    assert password.pgh_context["username"] == "admin-script"
    assert "password" not in {f.name for f in UserEvent._meta.fields}


@pytest.mark.django_db
@pytest.mark.parametrize("statement", [
    "UPDATE permits_permitevent SET pgh_label = 'forged'",
    "DELETE FROM permits_permitevent",
])
def test_audit_rows_cannot_be_altered(statement):
    PermitFactory(number="EXP-AUD-RAW")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert PermitEvent.objects.filter(pgh_label="insert").exists()


@pytest.mark.django_db
def test_permit_history_selector(decision_maker, django_assert_max_num_queries):
    # Outside any request: no actor. (The context lives as long as the database
    # transaction, so the attributed part comes last in this one-transaction test.)
    permit = PermitFactory(number="EXP-AUD-HIST")
    assurance = AssuranceFactory(permit=permit)
    services.update_assurance(assurance=assurance, compliance="breached")
    with pghistory.context(user=decision_maker.pk, username="minister", url="/admin/x", request_id="r1"):
        services.record_decision(permit=permit, kind="suspend", reason="Evidence.", decided_by=decision_maker)
    with django_assert_max_num_queries(2):
        history = audit.permit_history(permit)
    summary = [(e.model, e.action, e.username) for e in history]
    assert ("permit", "insert", None) in summary
    assert ("permit item", "insert", None) in summary
    assert ("end use assurance", "update", None) in summary
    assert ("permit", "update", "minister") in summary
    suspended = next(e for e in history if e.model == "permit" and e.action == "update"
                     and any(c.field == "status" and c.after == "suspended" for c in e.changes))
    assert suspended.request_id == "r1" and suspended.url == "/admin/x"
    assert [(c.before, c.after) for c in suspended.changes if c.field == "status"] == [("active", "suspended")]
    assert len(audit.permit_history(permit, limit=2)) == 2
    html = render_to_string("permits/_history.html", {"history": history})
    assert "minister" in html and "suspended" in html and "system (no request)" in html


@pytest.mark.django_db
def test_other_permits_do_not_leak_into_history():
    permit = PermitFactory(number="EXP-AUD-A")
    PermitFactory(number="EXP-AUD-B")
    numbers = {c.after for e in audit.permit_history(permit) for c in e.changes if c.field == "number"}
    assert numbers == {"EXP-AUD-A"}


@pytest.mark.django_db
def test_auditor_reads_the_trail_in_the_admin(client, auditor, decision_maker, official):
    permit = PermitFactory(number="EXP-AUD-TRAIL")
    client.force_login(auditor)
    listing = client.get("/admin/permits/auditevent/")
    assert listing.status_code == 200
    assert listing.context["cl"].result_count >= 2
    event = PermitEvent.objects.filter(pgh_obj=permit).first()
    detail = client.get(f"/admin/permits/auditevent/permits.PermitEvent:{event.pgh_id}/change/")
    assert detail.status_code == 200
    assert client.get("/admin/permits/auditevent/?event_model=permits.permitevent").status_code == 200
    assert client.get("/admin/permits/auditevent/?user=none").context["cl"].result_count >= 2
    assert client.get(f"/admin/permits/auditevent/?user={decision_maker.pk}").context["cl"].result_count == 0
    assert "EXP-AUD-TRAIL" in listing.content.decode()
    assert client.get("/admin/permits/auditevent/nonsense:1/change/").status_code in (302, 404)
    client.force_login(decision_maker)
    assert client.get("/admin/permits/auditevent/").status_code == 403
    client.force_login(official)
    assert client.get("/admin/permits/auditevent/").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("given", [None, "x" * 100])
def test_the_audit_event_carries_the_request_id_the_caller_got_back(client, decision_maker, given):
    """With no (or an unusable) X-Request-ID, the id made up for the logs and the response is the events' too."""
    measure = DestinationMeasure.objects.create(
        destination_id="TR", kind="presumptive_denial", scope="2-", starts_on=dt.date(2020, 4, 16),
    )
    client.force_login(decision_maker)
    headers = {"HTTP_X_REQUEST_ID": given} if given else {}
    response = _post_measure(client, measure, "Notice to Exporters No. 993", "", **headers)
    assert response.status_code == 302
    echoed = response["X-Request-ID"]
    assert echoed and echoed != given
    event = DestinationMeasure.pgh_event_model.objects.get(pgh_obj=measure, pgh_label="update")
    assert event.pgh_context["request_id"] == echoed
