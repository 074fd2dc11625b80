"""Who the admin admits: decision makers and auditors by group, whatever is_staff says."""

import pytest

from tests.factories import PASSWORD
from tests.otp import pass_second_factor

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role, status", [
    ("decision_maker", 200), ("auditor", 200), ("official", 403), ("reader", 403),
])
def test_admin_index_by_role(client, make_user, role, status):
    user = make_user(role, is_staff=False)
    client.force_login(user)
    assert client.get("/admin/").status_code == status


def test_staff_flag_alone_does_not_admit(client, make_user):
    client.force_login(make_user("official", is_staff=True))
    assert client.get("/admin/").status_code == 403


def test_superuser_admitted(client, make_user):
    client.force_login(make_user(None, is_superuser=True, is_staff=False))
    assert client.get("/admin/").status_code == 200


def test_anonymous_sent_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_login_form_admits_decision_maker_without_staff_flag(client, make_user):
    user = make_user("decision_maker", username="dm", is_staff=False)
    response = client.post("/admin/login/?next=/admin/", {"username": "dm", "password": PASSWORD})
    assert response.status_code == 302
    # Decision makers then give their second factor (tests/security/test_two_factor.py).
    assert client.get("/admin/").url.startswith("/accounts/2fa/")
    pass_second_factor(client, user, next_url="/admin/")
    assert client.get("/admin/").status_code == 200


def test_login_form_refuses_official(client, make_user):
    make_user("official", username="off", is_staff=True)
    response = client.post("/admin/login/?next=/admin/", {"username": "off", "password": PASSWORD})
    assert response.status_code == 200
    assert "no access to the administration" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_not_admitted_user_can_still_reach_login_page(client, official):
    client.force_login(official)
    assert client.get("/admin/login/").status_code == 200


def test_auditor_reads_users_and_groups_without_changing_them(client, auditor, official):
    client.force_login(auditor)
    index = client.get("/admin/").content.decode()
    assert "Audit trail" in index and "Decisions" in index
    assert client.get("/admin/auth/user/").status_code == 200
    assert client.get(f"/admin/auth/user/{official.pk}/change/").status_code == 200
    response = client.post(f"/admin/auth/user/{official.pk}/change/", {"username": "renamed"})
    assert response.status_code == 403
    official.refresh_from_db()
    assert official.username == "official"


def test_decision_maker_does_not_see_the_audit_trail_or_users(client, decision_maker):
    client.force_login(decision_maker)
    index = client.get("/admin/").content.decode()
    assert "Decisions" in index and "Audit trail" not in index
    assert client.get("/admin/auth/user/").status_code == 403
