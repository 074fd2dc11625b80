import pytest
from django.test import Client
from tests.factories import new_token, token_client
from reviews.models import ReviewCase
from permits.models import AuditEvent, Decision

pytestmark = pytest.mark.django_db


def test_probe(make_user, world):
    su = make_user(None, username="root", is_superuser=True, is_staff=True)
    c = Client(raise_request_exception=False)
    c.force_login(su)
    api = token_client(new_token(make_user("official", username="off")))
    api.raise_request_exception = False
    out = []
    def rec(label, r):
        out.append((r.status_code, label, r.content[:150]))
    body = {"number": "EXP-H-0001", "exporter": "E", "destination": "TR", "status": "active",
            "issued_on": "2020-05-12", "valid_until": "2022-05-11",
            "items": [{"control_entry": "not a pattern!", "description": "S", "quantity": 1, "value": "1.00"}]}
    rec("item control_entry", api.post("/api/v1/permits/", body, format="json"))
    import json
    rec("surrogate choice", api.generic("POST", "/api/v1/permits/", json.dumps({**body, "status": "\ud800"}), content_type="application/json"))
    rec("surrogate raw", api.generic("POST", "/api/v1/permits/", '{"status": "\\ud800"}', content_type="application/json"))
    for u in ["/destinations/%00/", "/permits/?q=%00", "/admin/permits/permit/?exporter=%00",
              "/admin/permits/decision/?destination=%00", "/admin/permits/auditevent/bad/change/",
              "/admin/permits/auditevent/permits.Decision:999999/change/", "/admin/permits/auditevent/%00/change/",
              "/admin/permits/auditevent/x:y/change/", "/admin/permits/auditevent/permits.Decision:abc/change/"]:
        rec(u, c.get(u))
    c.post("/destinations/TR/reviews/", {"title": "Review of TR"})
    for pk in ReviewCase.objects.values_list("pk", flat=True):
        rec("review admin", c.get(f"/admin/reviews/reviewcase/{pk}/change/"))
    rec("action bad id", c.post("/admin/permits/permit/", {"action": "suspend_selected", "_selected_action": ["abc"]}))
    rec("action huge id", c.post("/admin/permits/permit/", {"action": "suspend_selected", "_selected_action": ["99999999999999999999999"]}))
    rec("action bad id dest", c.post("/admin/permits/destination/", {"action": "suspend_all", "_selected_action": ["abcdef"]}))
    rec("decide ids", c.get("/admin/permits/permit/decide/suspend/?ids=abc,99999999999999999999999"))
    for line in out:
        print(line)
