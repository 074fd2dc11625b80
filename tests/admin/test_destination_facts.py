"""Destination policy facts: kept by superusers in the admin, every change in the audit trail."""

import pytest

from permits.models import AuditEvent, Destination

pytestmark = pytest.mark.django_db
CHANGE = "/admin/permits/destination/NO/change/"


def _form_data(page):
    """The change form as the browser would post it back."""
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if isinstance(value, (str, int))}
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
    return data


def test_a_superuser_edits_the_policy_facts_and_the_change_is_audited(login, make_user):
    root = make_user(None, username="root", is_superuser=True, is_staff=True)
    client = login(root)
    page = client.get(CHANGE)
    assert page.status_code == 200
    form_fields = set(page.context["adminform"].form.fields)
    assert {"on_area_control_list", "on_afccl", "att_state_party", "nato_member", "eu_member"} <= form_fields
    assert "code" not in form_fields and "open_flags" not in form_fields
    before = Destination.objects.get(code="NO")
    assert before.nato_member and not before.eu_member
    data = _form_data(page)
    data.update({"on_afccl": "on", "att_state_party": "on", "eu_member": "on"})  # NATO unticked, EU ticked
    data.pop("nato_member", None)
    response = client.post(CHANGE, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    after = Destination.objects.get(code="NO")
    assert (after.nato_member, after.eu_member, after.on_afccl) == (False, True, True)
    event = AuditEvent.objects.filter(pgh_obj_model="permits.Destination", pgh_obj_id="NO",
                                      pgh_label="update").latest("pgh_created_at")
    assert (event.pgh_data["nato_member"], event.pgh_data["eu_member"]) == (False, True)
    assert event.username == "root"


@pytest.mark.parametrize("role", ["decision_maker", "auditor"])
def test_others_cannot_change_the_policy_facts(login, make_user, role):
    client = login(make_user(role, username=f"{role}-facts"))
    page = client.get(CHANGE)
    if page.status_code == 200:
        form_fields = set(page.context["adminform"].form.fields)
        assert not form_fields & {"on_area_control_list", "on_afccl", "att_state_party", "nato_member", "eu_member"}
    else:
        assert page.status_code == 403
    client.post(CHANGE, {"nato_member": "", "eu_member": "on"})
    after = Destination.objects.get(code="NO")
    assert (after.nato_member, after.eu_member) == (True, False)
