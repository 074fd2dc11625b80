"""Decisions recorded in the admin: confirmation page, one batch, role checks."""

import datetime as dt

import pytest

from permits.models import Decision, DestinationMeasure, Permit

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/permits/permit/"
DECIDE = "/admin/permits/permit/decide/{}/"


def _action(client, name, permits):
    return client.post(CHANGELIST, {"action": name, "_selected_action": [p.pk for p in permits]})


def _confirm(client, kind, page, **fields):
    form = page.context["form"]
    data = {
        "ids": form["ids"].value(), "expected": form["expected"].value(),
        "reason": "Credible evidence of diversion.", "authority": "EIPA s.10(1)",
        "effective_on": dt.date.today().isoformat(), "confirm": "1", **fields,
    }
    return client.post(DECIDE.format(kind), data)


def test_decision_maker_sees_decision_actions(login, decision_maker, three_active):
    response = login(decision_maker).get(CHANGELIST)
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert {"issue_selected", "deny_selected", "suspend_selected", "cancel_selected",
            "reinstate_selected"} <= set(actions)
    assert "delete_selected" not in actions


def test_confirmation_lists_changes_and_skips(login, decision_maker, three_active, one_pending):
    page = _action(login(decision_maker), "suspend_selected", [*three_active, one_pending])
    assert page.status_code == 200
    assert [p.number for p in page.context["moves"]] == ["EXP-ADM-1", "EXP-ADM-2", "EXP-ADM-3"]
    (skipped, why), = page.context["skipped"]
    assert skipped.number == "EXP-ADM-PEND" and "pending" in why
    assert page.context["form"]["authority"].value() == "EIPA s.10(1)"
    assert not Decision.objects.filter(kind="suspend").exists()


def test_confirm_records_one_batch(login, decision_maker, three_active, one_pending):
    client = login(decision_maker)
    page = _action(client, "suspend_selected", [*three_active, one_pending])
    response = _confirm(client, "suspend", page)
    assert response.status_code == 302
    decisions = list(Decision.objects.filter(kind="suspend"))
    assert len(decisions) == 3
    assert len({d.batch for d in decisions}) == 1 and decisions[0].batch is not None
    assert {d.decided_by for d in decisions} == {decision_maker}
    assert response.url == f"/admin/permits/decision/?batch={decisions[0].batch}"
    listing = client.get(response.url)
    assert listing.context["cl"].result_count == 3
    assert Permit.objects.get(number="EXP-ADM-PEND").status == "pending"


def test_issue_defaults_to_the_issuing_authority(login, decision_maker, one_pending):
    page = _action(login(decision_maker), "issue_selected", [one_pending])
    assert page.context["form"]["authority"].value() == "EIPA s.7(1)"
    assert [p.number for p in page.context["moves"]] == ["EXP-ADM-PEND"]


def test_reason_is_required(login, decision_maker, three_active):
    client = login(decision_maker)
    page = _action(client, "suspend_selected", three_active)
    response = _confirm(client, "suspend", page, reason="   ")
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert not Decision.objects.filter(kind="suspend").exists()


def test_future_effective_date_refused(login, decision_maker, three_active):
    client = login(decision_maker)
    page = _action(client, "suspend_selected", three_active)
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    response = _confirm(client, "suspend", page, effective_on=tomorrow)
    assert response.status_code == 200
    assert response.context["form"].errors["effective_on"]
    assert not Decision.objects.filter(kind="suspend").exists()


def test_stale_preview_is_not_recorded(login, decision_maker, three_active):
    client = login(decision_maker)
    page = _action(client, "suspend_selected", three_active)
    from permits import services

    services.record_decision(permit=three_active[0], kind="suspend", reason="Meanwhile.")
    response = _confirm(client, "suspend", page)
    assert response.status_code == 200  # shown again, with the new lists
    assert [p.number for p in response.context["moves"]] == ["EXP-ADM-2", "EXP-ADM-3"]
    assert Decision.objects.filter(kind="suspend").count() == 1


def test_decision_detail_shows_whole_batch(login, decision_maker, three_active):
    client = login(decision_maker)
    _confirm(client, "suspend", _action(client, "suspend_selected", three_active))
    decision = Decision.objects.filter(kind="suspend").first()
    page = client.get(f"/admin/permits/decision/{decision.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    for number in ("EXP-ADM-1", "EXP-ADM-2", "EXP-ADM-3"):
        assert number in html
    assert decision.hash in html and decision.previous_hash in html


@pytest.mark.parametrize("role", ["official", "reader", "auditor"])
def test_others_cannot_record_decisions(client, make_user, three_active, role):
    client.force_login(make_user(role))
    ids = ",".join(str(p.pk) for p in three_active)
    data = {"ids": ids, "expected": ids, "reason": "x", "authority": "EIPA s.10(1)",
            "effective_on": dt.date.today().isoformat(), "confirm": "1"}
    assert client.post(DECIDE.format("suspend"), data).status_code == 403
    assert client.get(DECIDE.format("suspend") + f"?ids={ids}").status_code == 403
    assert _action(client, "suspend_selected", three_active).status_code == 403
    assert client.post("/admin/permits/destination/decide/suspend/", {**data, "ids": "TR"}).status_code == 403
    assert not Decision.objects.filter(kind="suspend").exists()


def test_auditor_reads_without_actions(login, auditor, three_active):
    client = login(auditor)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["action_form"] is None or not any(
        name.endswith("_selected") for name, _ in response.context["action_form"].fields["action"].choices
    )
    detail = client.get(f"/admin/permits/permit/{three_active[0].pk}/change/")
    assert detail.status_code == 200
    assert "History" in detail.content.decode()
    assert client.get("/admin/permits/decision/").status_code == 200


def test_anonymous_sent_to_login_from_action_url(client, three_active):
    response = client.get(DECIDE.format("suspend"))
    assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_unknown_kind_is_404(login, decision_maker):
    assert login(decision_maker).get(DECIDE.format("expire")).status_code == 404
    assert login(decision_maker).get(DECIDE.format("nonsense")).status_code == 404


def test_bad_ids_do_not_error(login, decision_maker):
    response = login(decision_maker).get(DECIDE.format("suspend") + "?ids=1,x,,")
    assert response.status_code == 200
    assert response.context["moves"] == []
    # A NUL byte is refused at the door (config.security.HostileTextMiddleware).
    assert login(decision_maker).get(DECIDE.format("suspend") + "?ids=1,%00").status_code == 400


def test_decisions_are_read_only_in_admin(login, make_user, three_active):
    client = login(make_user(None, is_superuser=True))
    decision = Decision.objects.first()
    assert client.get("/admin/permits/decision/add/").status_code == 403
    assert client.post(f"/admin/permits/decision/{decision.pk}/delete/", {"post": "yes"}).status_code == 403
    response = client.post(f"/admin/permits/decision/{decision.pk}/change/", {"reason": "edited"})
    assert response.status_code == 403
    decision.refresh_from_db()
    assert decision.reason != "edited"


def test_permit_with_decisions_cannot_be_deleted(login, make_user, three_active):
    client = login(make_user(None, is_superuser=True))
    permit = three_active[0]
    response = client.post(f"/admin/permits/permit/{permit.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Permit.objects.filter(pk=permit.pk).exists()


def test_decision_filters(login, decision_maker, three_active):
    client = login(decision_maker)
    _confirm(client, "suspend", _action(client, "suspend_selected", three_active[:2]))
    for query, count in [("kind=suspend", 2), ("kind=issue", 3), ("destination=TR", 5),
                         ("destination=FR", 0), ("batch=not-a-uuid", 0),
                         (f"effective_on__gte={dt.date.today().isoformat()}", 2)]:
        response = client.get(f"/admin/permits/decision/?{query}")
        assert response.status_code == 200, query
        assert response.context["cl"].result_count == count, query


def test_blanket_suspension_of_a_destination(login, decision_maker, three_active, one_pending):
    from tests.factories import PermitFactory

    other = PermitFactory(number="EXP-ADM-FR", destination="FR")
    dual_use = PermitFactory(number="EXP-ADM-DU", items=[{
        "control_entry": "1-6.A.3", "description": "Camera", "quantity": 1, "value": "10.00"}])
    client = login(decision_maker)
    page = client.post("/admin/permits/destination/", {"action": "suspend_all", "_selected_action": ["TR"]})
    assert page.status_code == 200
    assert {p.number for p in page.context["moves"]} == {"EXP-ADM-1", "EXP-ADM-2", "EXP-ADM-3", "EXP-ADM-DU"}
    form = page.context["form"]
    # Narrow to Group 2: the page must be shown again before it can be confirmed.
    data = {"ids": form["ids"].value(), "expected": form["expected"].value(), "reason": "Oct 2020 suspension",
            "authority": "EIPA s.10(1)", "effective_on": dt.date.today().isoformat(),
            "control_entry": "2-", "confirm": "1"}
    again = client.post("/admin/permits/destination/decide/suspend/", data)
    assert again.status_code == 200 and not Decision.objects.filter(kind="suspend").exists()
    data["expected"] = again.context["form"]["expected"].value()
    response = client.post("/admin/permits/destination/decide/suspend/", data)
    assert response.status_code == 302
    suspended = Decision.objects.filter(kind="suspend")
    assert {d.permit.number for d in suspended} == {"EXP-ADM-1", "EXP-ADM-2", "EXP-ADM-3"}
    assert len({d.batch for d in suspended}) == 1
    assert Permit.objects.get(pk=other.pk).status == "active"
    assert Permit.objects.get(pk=dual_use.pk).status == "active"


def test_destination_measures_inline(login, decision_maker):
    client = login(decision_maker)
    url = "/admin/permits/destination/TR/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, {
        "measures-TOTAL_FORMS": "1", "measures-INITIAL_FORMS": "0",
        "measures-MIN_NUM_FORMS": "0", "measures-MAX_NUM_FORMS": "1000",
        "measures-0-kind": "new_permits_suspended", "measures-0-scope": "2-",
        "measures-0-notice_reference": "Minister's statement, 11 Oct 2019",
        "measures-0-description": "", "measures-0-starts_on": "2019-10-11", "measures-0-ends_on": "",
    })
    assert response.status_code == 302, response.context and response.context.get("errors")
    measure = DestinationMeasure.objects.get(destination="TR")
    assert measure.kind == "new_permits_suspended" and measure.scope == "2-"


def test_auditor_cannot_change_measures(login, auditor):
    response = login(auditor).post("/admin/permits/destination/TR/change/", {
        "measures-TOTAL_FORMS": "0", "measures-INITIAL_FORMS": "0",
    })
    assert response.status_code == 403


def test_permit_filters_and_search(login, decision_maker, three_active, one_pending):
    client = login(decision_maker)
    for query, count in [("status__exact=pending", 1), ("flagged=yes", 0), ("flagged=no", 4),
                         ("control_entry=2-", 4), ("control_entry=2-15", 4), ("control_entry=1-", 0),
                         ("control_entry=%25%25bad", 0), ("exporter=L3Harris+WESCAM", 4),
                         ("destination__code__exact=TR", 4), ("q=EXP-ADM-2", 1), ("q=2-15.a", 4)]:
        response = client.get(f"{CHANGELIST}?{query}")
        assert response.status_code == 200, query
        assert response.context["cl"].result_count == count, query
