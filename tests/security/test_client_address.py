"""The client address behind TRUSTED_PROXY_HOPS proxies: one definition for lockout, throttles, audit."""

import pytest
from django.test import RequestFactory, override_settings

from permits.core.client_address import client_ip
from tests.factories import PASSWORD, PermitFactory

PROXY = "10.0.0.2"


def _ip(remote="192.0.2.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


@override_settings(TRUSTED_PROXY_HOPS=0)
def test_without_trusted_proxies_the_header_is_ignored():
    assert _ip("192.0.2.1", "203.0.113.5") == "192.0.2.1"
    assert _ip("192.0.2.1") == "192.0.2.1"


@override_settings(TRUSTED_PROXY_HOPS=1)
def test_one_proxy_the_right_most_entry_is_the_client():
    assert _ip(PROXY, "203.0.113.5") == "203.0.113.5"
    assert _ip(PROXY, "198.51.100.1, 203.0.113.5") == "203.0.113.5"  # the left one is the client's own claim
    assert _ip(PROXY, " 2001:db8::1 ") == "2001:db8::1"


@override_settings(TRUSTED_PROXY_HOPS=2)
def test_two_proxies_two_entries_back():
    assert _ip(PROXY, "198.51.100.1, 203.0.113.5, 10.0.0.1") == "203.0.113.5"


@override_settings(TRUSTED_PROXY_HOPS=2)
@pytest.mark.parametrize("forwarded", [None, "", "203.0.113.5", "not-an-address, 10.0.0.1",
                                       "203.0.113.5:443, 10.0.0.1", "\x00, 10.0.0.1", ", , ,"])
def test_a_header_that_did_not_come_through_the_proxies_falls_back_to_the_peer(forwarded):
    assert _ip(PROXY, forwarded) == PROXY


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_HOPS=1)
def test_five_wrong_passwords_from_one_client_do_not_lock_out_another_behind_the_same_proxy(
        client, make_user):
    make_user("official", username="j.official")
    make_user("official", username="k.official")
    for _ in range(5):
        client.post("/accounts/login/", {"username": "j.official", "password": "wrong"},
                    REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.66")
    locked = client.post("/accounts/login/", {"username": "j.official", "password": PASSWORD},
                         REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.66")
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    # The same user name from another client behind the same proxy signs in.
    response = client.post("/accounts/login/", {"username": "j.official", "password": PASSWORD},
                           REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.77")
    assert response.status_code == 302 and "_auth_user_id" in client.session
    # A spoofed left-most entry does not get the locked client out of its lockout.
    client.logout()
    spoofed = client.post("/accounts/login/", {"username": "j.official", "password": PASSWORD},
                          REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.66")
    assert spoofed.status_code == 429


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_HOPS=0)
def test_without_trusted_proxies_a_forged_header_cannot_escape_the_lockout(client, make_user):
    make_user("official", username="j.official")
    for n in range(5):
        client.post("/accounts/login/", {"username": "j.official", "password": "wrong"},
                    REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = client.post("/accounts/login/", {"username": "j.official", "password": PASSWORD},
                           REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert response.status_code == 429


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_HOPS=1)
def test_the_audit_trail_records_the_forwarded_client_address(make_user):
    from rest_framework.test import APIClient

    from permits.models import AuditEvent
    from tests.factories import new_token

    PermitFactory(number="EXP-IP-0001")
    client = APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5")
    client.credentials(HTTP_AUTHORIZATION=f"Token {new_token(make_user('decision_maker', username='dm'))}")
    response = client.post("/api/v1/permits/EXP-IP-0001/decisions/",
                           {"kind": "suspend", "reason": "Evidence.", "authority": "EIPA s.10(1)"},
                           format="json")
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.filter(pgh_obj_model="permits.Decision").order_by("-pgh_id").first()
    assert (event.username, event.ip) == ("dm", "203.0.113.5")
