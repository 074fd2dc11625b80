"""python manage.py create_api_token USERNAME, token lifetimes and the token audit trail."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from permits.models import AuditEvent
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def _run(*args):
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def _client(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _lifetime(user):
    row = AuthToken.objects.get(user=user)
    return row.expiry - row.created


def test_prints_a_working_token_as_last_line_and_stores_only_its_hash(reader):
    token = _run("reader")[-1]
    row = AuthToken.objects.get(user=reader)
    assert token not in (row.digest, row.token_key)
    assert _client(token).get("/api/v1/destinations/TR/").status_code == 200


def test_tokens_expire_after_api_token_ttl_days_by_default(reader):
    _run("reader")
    assert abs(_lifetime(reader) - 90 * DAY) < dt.timedelta(minutes=1)


@override_settings(API_TOKEN_TTL_DAYS=7)
def test_the_default_lifetime_follows_the_setting(reader):
    _run("reader")
    assert abs(_lifetime(reader) - 7 * DAY) < dt.timedelta(minutes=1)


def test_expiry_and_revoke_all(reader):
    first = _run("reader")[-1]
    lines = _run("reader", "--expires-in-days", "30", "--revoke-all")
    assert AuthToken.objects.filter(user=reader).count() == 1
    assert abs(_lifetime(reader) - 30 * DAY) < dt.timedelta(minutes=1)
    assert _client(first).get("/api/v1/destinations/TR/").status_code == 401
    assert _client(lines[-1]).get("/api/v1/destinations/TR/").status_code == 200


@pytest.mark.parametrize("days", ["0", "-1", "366", "3650"])
def test_a_lifetime_outside_one_to_365_days_is_refused(reader, days):
    with pytest.raises(CommandError, match="from 1 to 365"):
        _run("reader", "--expires-in-days", days)
    assert not AuthToken.objects.filter(user=reader).exists()


def test_365_days_is_the_longest(reader):
    _run("reader", "--expires-in-days", "365")
    assert abs(_lifetime(reader) - 365 * DAY) < dt.timedelta(minutes=1)


def test_a_token_that_can_record_decisions_lives_24_hours_at_most(decision_maker, make_user):
    lines = _run("minister", "--expires-in-days", "30")
    assert "24 hours at most" in lines[-2]
    assert abs(_lifetime(decision_maker) - DAY) < dt.timedelta(minutes=1)
    make_user(None, username="root", is_superuser=True, is_staff=True)
    _run("root")
    root_token = AuthToken.objects.get(user__username="root")
    assert root_token.expiry - root_token.created <= DAY


def test_a_decision_makers_token_older_than_a_day_is_refused(decision_maker):
    key = _run("minister")[-1]
    permit = PermitFactory(number="EXP-TOK-0001")
    body = {"kind": "suspend", "reason": "Evidence of diversion.", "authority": "EIPA s.10(1)"}
    # Even if its expiry were pushed out (by hand, or by an older release), age decides.
    AuthToken.objects.filter(user=decision_maker).update(
        created=timezone.now() - dt.timedelta(hours=25), expiry=timezone.now() + 30 * DAY)
    response = _client(key).post(f"/api/v1/permits/{permit.number}/decisions/", body, format="json")
    assert response.status_code == 401
    assert "24 hours" in response.json()["detail"]
    assert not permit.decisions.filter(kind="suspend").exists()


def test_a_reader_who_becomes_decision_maker_cannot_use_an_old_token_to_decide(reader):
    from django.contrib.auth.models import Group

    key = _run("reader", "--expires-in-days", "90")[-1]
    permit = PermitFactory(number="EXP-TOK-0002")
    AuthToken.objects.filter(user=reader).update(created=timezone.now() - 2 * DAY)
    assert _client(key).get("/api/v1/destinations/TR/").status_code == 200  # still a reader's token
    reader.groups.add(Group.objects.get(name="decision_maker"))
    body = {"kind": "suspend", "reason": "Evidence of diversion.", "authority": "EIPA s.10(1)"}
    response = _client(key).post(f"/api/v1/permits/{permit.number}/decisions/", body, format="json")
    assert response.status_code == 401
    assert not permit.decisions.filter(kind="suspend").exists()
    fresh = _run("reader")[-1]  # a new token (24 hours) works
    response = _client(fresh).post(f"/api/v1/permits/{permit.number}/decisions/", body, format="json")
    assert response.status_code == 201, response.content


def test_a_token_stored_without_expiry_is_refused_after_the_longest_lifetime(reader):
    _, key = AuthToken.objects.create(reader, expiry=None)
    assert _client(key).get("/api/v1/destinations/TR/").status_code == 200
    AuthToken.objects.filter(user=reader).update(created=timezone.now() - 366 * DAY)
    assert _client(key).get("/api/v1/destinations/TR/").status_code == 401


def test_unknown_user_is_an_error():
    with pytest.raises(CommandError, match="No user"):
        _run("nobody-here")


def test_creating_and_revoking_a_token_are_audit_events(reader, client, make_user):
    _run("reader")
    digest = AuthToken.objects.get(user=reader).digest
    _run("reader", "--revoke-all")
    events = AuditEvent.objects.filter(pgh_obj_model="permits.AuditedAuthToken", pgh_obj_id=digest)
    assert sorted(events.values_list("pgh_label", flat=True)) == ["delete", "insert"]
    insert = events.get(pgh_label="insert")
    assert insert.pgh_data["user_id"] == reader.pk and "digest" not in insert.pgh_data
    # ...and they show in the audit trail's admin list, for an auditor.
    client.force_login(make_user("auditor", username="the-auditor"))
    page = client.get("/admin/permits/auditevent/")
    assert page.status_code == 200
    assert page.content.decode().count("permits.AuditedAuthToken") >= 3  # 2 + 1 of the new token


def test_revoking_in_the_admin_is_an_audit_event_with_who_did_it(reader, client, make_user):
    _run("reader")
    row = AuthToken.objects.get(user=reader)
    root = make_user(None, username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    from django.contrib.admin.utils import quote

    response = client.post(f"/admin/knox/authtoken/{quote(row.digest)}/delete/", {"post": "yes"})
    assert response.status_code == 302, response.content[:300]
    assert not AuthToken.objects.filter(pk=row.pk).exists()
    deleted = AuditEvent.objects.get(pgh_obj_model="permits.AuditedAuthToken", pgh_obj_id=row.digest,
                                     pgh_label="delete")
    assert deleted.username == "root"


@pytest.mark.parametrize("role", ["official", "reader"])
def test_outsiders_cannot_see_or_revoke_tokens_in_the_admin(client, make_user, reader, role):
    _run("reader")
    row = AuthToken.objects.get(user=reader)
    client.force_login(make_user(role, username=f"outsider-{role}"))
    from django.contrib.admin.utils import quote

    assert client.get("/admin/knox/authtoken/").status_code == 403
    assert client.post(f"/admin/knox/authtoken/{quote(row.digest)}/delete/", {"post": "yes"}).status_code == 403
    assert AuthToken.objects.filter(pk=row.pk).exists()
    client.logout()
    anonymous = client.get("/admin/knox/authtoken/")
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
