"""The dossier's amend and rescind pages: preview, confirm, the timeline and the status box."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from permits import services
from permits.models import Decision, Permit

pytestmark = pytest.mark.django_db
NUMBER = "EXP-2020-00123"
AMEND = f"/permits/{NUMBER}/amend/"
RESCIND = f"/permits/{NUMBER}/rescind/"


def _amend_data(permit, **overrides):
    item = permit.items.get()
    data = {"valid_until": "2031-05-11", "consignee": permit.consignee, "end_user": permit.end_user,
            "end_use": permit.end_use, f"item_{item.pk}_quantity": "5", f"item_{item.pk}_value": str(item.value),
            "reason": "Delivery schedule extended.", "authority": "EIPA s.10(1)", "effective_on": ""}
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ["official", "reader", "auditor", None])
def test_only_decision_makers(scenario, client_for, client, role):
    web = client_for(role) if role else client
    for url in (AMEND, RESCIND):
        response = web.get(url)
        if role is None:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == 403
    assert "Amend the permit" not in (client_for("reader").get(f"/permits/{NUMBER}/").content.decode())


@pytest.mark.second_factor
def test_decision_pages_need_the_second_factor(scenario, client, make_user):
    client.force_login(make_user("decision_maker", username="dm-no-totp"))
    response = client.get(AMEND)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/?next=")


def test_amend_preview_then_confirm(scenario, client_for):
    client = client_for("decision_maker")
    permit = scenario["a"]
    assert "Amend the permit" in client.get(f"/permits/{NUMBER}/").content.decode()
    form = client.get(AMEND)
    assert form.status_code == 200 and 'value="2030-05-11"' in form.content.decode()
    preview = client.post(AMEND, _amend_data(permit))
    html = preview.content.decode()
    assert preview.status_code == 200 and "Check and confirm" in html
    assert "2030-05-11" in html and "2031-05-11" in html and "Quantity of MX-15D EO/IR sensor" in html
    assert Decision.objects.filter(kind="amend").count() == 0  # the preview writes nothing
    done = client.post(AMEND, {**_amend_data(permit), "confirm": "1"})
    assert done.status_code == 302 and done["Location"] == f"/permits/{NUMBER}/"
    permit.refresh_from_db()
    assert permit.valid_until == dt.date(2031, 5, 11) and permit.items.get().quantity == 5
    dossier = client.get(f"/permits/{NUMBER}/").content.decode()
    assert "Permit amended." in dossier
    assert "Valid until: 2030-05-11 → 2031-05-11" in dossier and "Quantity of MX-15D EO/IR sensor: 7 → 5" in dossier


def test_amend_errors_are_shown(scenario, client_for):
    client = client_for("decision_maker")
    permit = scenario["a"]
    unchanged = client.post(AMEND, _amend_data(permit, valid_until="2030-05-11", **{
        f"item_{permit.items.get().pk}_quantity": "7"}))
    assert unchanged.status_code == 400 and "Nothing would change" in unchanged.content.decode()
    early = client.post(AMEND, _amend_data(permit, valid_until="2019-01-01"))
    assert early.status_code == 400
    assert Permit.objects.get(pk=permit.pk).valid_until == dt.date(2030, 5, 11)


def test_rescind_preview_then_confirm_and_the_timeline(scenario, client_for):
    client = client_for("decision_maker")
    permit = scenario["a"]
    cancel = services.record_decision(permit=permit, kind="cancel", reason="Wrong permit.",
                                      effective_on=dt.date(2021, 4, 12))
    before = timezone.localtime()
    page = client.get(RESCIND).content.decode()
    assert f"Decision #{cancel.pk}" in page and "The permit returns to:" in page
    data = {"rescinds": cancel.pk, "reason": "Recorded on the wrong permit.", "authority": "EIPA s.10(1)",
            "effective_on": ""}
    preview = client.post(RESCIND, data)
    assert preview.status_code == 200 and f"Decision #{cancel.pk} will be rescinded." in preview.content.decode()
    assert Permit.objects.get(pk=permit.pk).status == "cancelled"
    done = client.post(RESCIND, {**data, "confirm": "1"})
    assert done.status_code == 302
    assert Permit.objects.get(pk=permit.pk).status == "active"
    rescission = Decision.objects.get(kind="rescind")
    dossier = client.get(f"/permits/{NUMBER}/")
    html = dossier.content.decode()
    assert "Decision rescinded." in html
    assert f"rescinded by #{rescission.pk}" in html and f"voids decision #{cancel.pk}" in html
    assert dossier.context["current"].status == "active"
    # Rescinding it again → 409 on the page; the status box answers as the register stood before.
    again = client.post(RESCIND, {**data, "confirm": "1"})
    assert again.status_code == 409
    then = client.get(f"/permits/{NUMBER}/", {"as_of": "2022-01-01",
                                              "known_at": before.strftime("%Y-%m-%dT%H:%M:%S.%f")})
    assert then.context["as_of_result"].status == "cancelled"
    assert "As the register stood at" in then.content.decode()
    now = client.get(f"/permits/{NUMBER}/", {"as_of": "2022-01-01"})
    assert now.context["as_of_result"].status == "active"


def test_pages_in_french(scenario, client_for):
    client = client_for("decision_maker")
    client.cookies["django_language"] = "fr"
    with translation.override("fr"):
        html = client.get(AMEND, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        dossier = client.get(f"/permits/{NUMBER}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Modifier la licence EXP-2020-00123" in html and "Aperçu" in html and "Quantité de" in html
    assert "Retirer une décision" in dossier and "Selon le registre au" in dossier
