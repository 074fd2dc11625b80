"""Hand-written hostile input against every API write endpoint and every form.

Never a 5xx; what is stored is never rendered unescaped in a page; nothing
from a CSV export starts a spreadsheet formula.
"""

import csv
import io
import re
from html.parser import HTMLParser

import pytest

from permits.models import Permit
from reviews import services as review_services
from reviews.models import ReviewCase
from tests.factories import PermitFactory, new_token, token_client

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('xss')</script>"
NASTY_TEXT = [
    "",
    " ",
    "a\x00b",                                   # NUL byte
    "\x00",
    "\u202eevil\u202c",                         # right-to-left override
    "\u200f\u200e\u061c mixed",                 # RTL/LTR marks
    "İstanbul ıIiİ",                            # Turkish dotted and dotless i
    "ǅ ß ﬃ \ufeff \U0001f680",                  # odd case mappings, BOM, astral plane
    "\ufffd",                                  # replacement character
    "'; DROP TABLE permits_permit; --",
    "\" OR 1=1 --",
    "%s %(x)s {0} {{ x }} {% now 'Y' %}",
    SCRIPT,
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "＝1+1",
    "x" * 5000,
]
NASTY_NUMBERS = [-1, 0, -(2**63), 2**63, 2**31, 10**40, 1e308, -0.0, "NaN", "Infinity", "1e999",
                 "0x10", True, None, [], {}, "", " 7 "]
NASTY_DATES = ["0001-01-01", "9999-12-31", "0000-00-00", "2020-02-30", "2020-13-01", "20-01-01",
               "2020-01-01T00:00:00", "tomorrow", "", None, 20200101, "９９９９-１２-３１"]
TEN_MB = "x" * (10 * 1024 * 1024)


def _client(make_user, role):
    kwargs = {"is_superuser": True, "is_staff": True} if role == "superuser" else {}
    user = make_user(None if role == "superuser" else role, username=f"hostile-{role}", **kwargs)
    return token_client(new_token(user))


def _endpoints(world):
    """(role, method, url, valid body, {field: kind}) for every API write."""
    n = world["permit"].number
    return [
        ("official", "post", "/api/v1/permits/", {
            "number": "EXP-H-0001", "exporter": "Exporter", "exporter_email": "e@example.com",
            "destination": "TR", "consignee": "C", "end_user": "U", "end_use": "E", "status": "active",
            "issued_on": "2020-05-12", "valid_until": "2022-05-11", "currency": "CAD",
            "items": [{"control_entry": "2-15.a", "description": "Sensor", "quantity": 1, "value": "1.00"}],
        }, {"number": "text", "exporter": "text", "exporter_email": "text", "destination": "text",
            "consignee": "text", "end_user": "text", "end_use": "text", "status": "text",
            "issued_on": "date", "valid_until": "date", "currency": "text", "items": "list"}),
        ("decision_maker", "post", f"/api/v1/permits/{n}/decisions/", {
            "kind": "suspend", "reason": "Evidence", "authority": "EIPA s.10(1)",
        }, {"kind": "text", "reason": "text", "authority": "text", "effective_on": "date"}),
        ("official", "post", f"/api/v1/permits/{n}/assurances/", {
            "kind": "euc", "issuer": "Ministry", "issued_on": "2020-04-01",
        }, {"kind": "text", "issuer": "text", "signatory": "text", "issued_on": "date",
            "expires_on": "date", "compliance": "text", "notes": "text"}),
        ("official", "patch", f"/api/v1/assurances/{world['assurance'].pk}/", {
            "compliance": "breached", "notes": "Kept?",
        }, {"compliance": "text", "notes": "text"}),
        ("decision_maker", "post", "/api/v1/destinations/TR/decisions/", {
            "kind": "suspend", "reason": "Blanket", "authority": "EIPA s.10(1)",
        }, {"kind": "text", "reason": "text", "authority": "text", "effective_on": "date",
            "control_entry": "text"}),
        ("official", "post", "/api/v1/destinations/TR/evidence/", {
            "title": "Evidence", "source_type": "ngo", "observed_on": "2020-10-20", "credibility": "high",
        }, {"title": "text", "summary": "text", "source_type": "text", "source_reference": "text",
            "observed_on": "date", "published_on": "date", "diverted_to": "text", "location": "text",
            "credibility": "text", "control_entries": "list", "end_users": "list"}),
        ("official", "post", f"/api/v1/flags/{world['flag'].pk}/resolve/", {
            "resolution": "cleared", "note": "Checked",
        }, {"resolution": "text", "note": "text"}),
    ]


def _values(kind):
    if kind == "date":
        return NASTY_DATES + NASTY_NUMBERS[:4]
    if kind == "list":
        return [[v] for v in NASTY_TEXT[:12]] + [NASTY_TEXT[2], [[["deep"]]], [{"a": None}], [None], {}]
    return NASTY_TEXT + NASTY_NUMBERS


def test_no_api_write_answers_5xx_to_hostile_fields(make_user, world):
    for role, method, url, body, fields in _endpoints(world):
        client = _client(make_user, role)
        for field, kind in fields.items():
            for value in _values(kind):
                response = getattr(client, method)(url, {**body, field: value}, format="json")
                assert response.status_code < 500, (url, field, repr(value)[:80], response.status_code)
        for raw in ("{", "null", "[]", '"text"', "1", '{"a":' * 5000 + "1" + "}" * 5000,
                    b"\xff\xfe\x00", "{\"title\": \"\\ud800\"}"):
            response = client.generic(method.upper(), url, raw, content_type="application/json")
            assert response.status_code < 500, (url, raw[:20], response.status_code)
        response = client.generic(method.upper(), url, "title=x", content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500


def test_ten_megabyte_strings_are_refused_cleanly(make_user, world):
    for role, method, url, body, fields in _endpoints(world):
        client = _client(make_user, role)
        text_field = next(f for f, kind in fields.items() if kind == "text")
        response = getattr(client, method)(url, {**body, text_field: TEN_MB}, format="json")
        assert 400 <= response.status_code < 500, (url, response.status_code)


def test_hostile_query_strings_on_reads(make_user, world):
    client = _client(make_user, "reader")
    for value in NASTY_TEXT[:-1] + ["2020-13-01", "-1", "99999999999999999999", "1e999"]:
        for url in ("/api/v1/permits/", "/api/v1/flags/", "/api/v1/destinations/",
                    f"/api/v1/permits/{world['permit'].number}/status/"):
            for param in ("q", "status", "destination", "control_entry", "flagged", "page", "page_size",
                          "as_of", "permit", "evidence", "relevance", "exporter"):
                response = client.get(url, {param: value})
                assert response.status_code < 500, (url, param, repr(value)[:40], response.status_code)
    for path in ("/api/v1/permits/%00/", "/api/v1/permits/" + "A" * 5000 + "/", "/api/v1/flags/-1/",
                 "/api/v1/flags/99999999999999999999999/", "/api/v1/evidence/1e9/",
                 "/api/v1/destinations/%C4%B0T/", "/api/v1/assurances/%27%3B--/"):
        assert client.get(path).status_code < 500, path


# --- Pages and forms -----------------------------------------------------------

class _Forms(HTMLParser):
    """Collects each POST form's action and fields (name -> first value)."""

    def __init__(self):
        super().__init__()
        self.forms, self._current, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._current = {"action": attrs.get("action") or "", "fields": {}, "types": {}}
            self.forms.append(self._current)
        elif self._current is not None and tag in ("input", "textarea", "select") and attrs.get("name"):
            name = attrs["name"]
            kind = attrs.get("type", tag)
            if kind in ("checkbox", "radio") and name in self._current["fields"]:
                return
            self._current["fields"][name] = attrs.get("value", "")
            self._current["types"][name] = kind
            if tag == "select":
                self._select = name
        elif tag == "option" and self._select and self._current is not None:
            if not self._current["fields"].get(self._select):
                self._current["fields"][self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None


def _forms(html):
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _page_urls(world):
    return ["/", "/flags/", "/permits/", f"/permits/{world['permit'].number}/", "/destinations/",
            "/destinations/TR/", "/reviews/"]


@pytest.fixture
def superuser_client(client, make_user):
    client.force_login(make_user(None, username="hostile-root", is_superuser=True, is_staff=True))
    return client


def test_every_form_survives_hostile_values(superuser_client, world):
    client = superuser_client
    urls = _page_urls(world)
    opened = client.post("/destinations/TR/reviews/", {"title": "Review of TR"})
    assert opened.status_code < 500
    urls += [f"/reviews/{pk}/" for pk in ReviewCase.objects.values_list("pk", flat=True)]
    seen = 0
    for url in urls:
        page = client.get(url)
        assert page.status_code == 200, url
        for form in _forms(page.content.decode()):
            action = form["action"] or url
            if "logout" in action or "i18n" in action:
                continue
            for value in NASTY_TEXT + ["0001-01-01", "9999-12-31", "-1", "99999999999999999999"]:
                data = {
                    name: (value if form["types"].get(name) not in ("hidden", "checkbox", "radio", "select")
                           else original)
                    for name, original in form["fields"].items()
                }
                response = client.post(action, data)
                seen += 1
                assert response.status_code < 500, (action, repr(value)[:60], response.status_code)
    assert seen > 100  # the pages really had forms to try


def test_stored_markup_is_always_escaped_in_pages(superuser_client, make_user):
    official_api = _client(make_user, "official")
    created = official_api.post("/api/v1/permits/", {
        "number": "EXP-XSS-0001", "exporter": SCRIPT, "destination": "TR", "consignee": SCRIPT,
        "end_user": "<img src=x onerror=alert(1)>", "end_use": SCRIPT, "status": "active",
        "issued_on": "2020-05-12", "valid_until": "2030-05-11", "currency": "CAD",
        "items": [{"control_entry": "2-15.a", "description": SCRIPT, "quantity": 1, "value": "1.00"}],
    }, format="json")
    assert created.status_code == 201, created.content
    evidence = official_api.post("/api/v1/destinations/TR/evidence/", {
        "title": SCRIPT, "summary": SCRIPT, "source_type": "ngo", "observed_on": "2020-10-20",
        "credibility": "high", "location": "<b onmouseover=alert(1)>x</b>", "end_users": [SCRIPT],
        "source_reference": "javascript:alert(1)",
    }, format="json")
    assert evidence.status_code == 201, evidence.content
    review_services.flag_evidence(evidence_id=evidence.json()["id"])  # the task, run here
    flag = Permit.objects.get(number="EXP-XSS-0001").flags.get()
    official_api.post(f"/api/v1/flags/{flag.pk}/resolve/", {"resolution": "escalated", "note": SCRIPT},
                      format="json")
    pages = ["/", "/flags/", "/flags/?status=escalated", "/permits/", "/permits/?q=%3Cscript",
             "/permits/EXP-XSS-0001/", "/destinations/", "/destinations/TR/", "/reviews/",
             f"/evidence/{evidence.json()['id']}/progress/"]
    for url in pages:
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html and "<b onmouseover" not in html, url
        assert 'href="javascript:' not in html.replace(" ", ""), url
    assert "&lt;script&gt;" in superuser_client.get("/permits/EXP-XSS-0001/").content.decode()


def test_csv_export_never_starts_a_formula(superuser_client):
    for n, text in enumerate(["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-1+1", "@SUM(A1)",
                              "\t=1", " =1", "\u00a0=1", "＝1", "\r=1", "İstanbul ﬃ \u202e"]):
        PermitFactory(number=f"EXP-CSV-{n:04d}", exporter=text, consignee=text, end_user=text,
                      end_use=text, items=[{"control_entry": "2-15.a", "description": text,
                                            "quantity": 1, "value": "1.00"}])
    response = superuser_client.get("/permits/export.csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(body)))
    assert len(rows) == 11
    for row in rows[1:]:
        for cell in row:
            assert not re.match(r"^[\s\u00a0]*[=+\-@＝＋－＠\t\r]", cell) or cell.startswith("'"), row
    exporters = {row[3] for row in rows[1:]}
    assert "İstanbul ﬃ \u202e" in exporters  # harmless text comes out unchanged


# --- Requests that once answered 500 ---------------------------------------------

def _raw_json(client, method, url, body):
    # json.dumps escapes a lone surrogate as \ud800, exactly as a hostile client would send it.
    import json

    return client.generic(method.upper(), url, json.dumps(body), content_type="application/json")


def test_an_item_with_a_non_pattern_control_entry_is_a_400(make_user):
    client = _client(make_user, "official")
    body = {"number": "EXP-H-0002", "exporter": "E", "destination": "TR", "status": "active",
            "issued_on": "2020-05-12", "valid_until": "2022-05-11",
            "items": [{"control_entry": "not a pattern!", "description": "S", "quantity": 1, "value": "1.00"}]}
    response = client.post("/api/v1/permits/", body, format="json")
    assert response.status_code == 400
    assert "control_entry" in response.json()["items"][0]
    assert not Permit.objects.filter(number="EXP-H-0002").exists()


def test_a_lone_surrogate_in_any_string_of_any_api_body_is_a_400(make_user, world):
    for role, method, url, body, fields in _endpoints(world):
        client = _client(make_user, role)
        for field in fields:
            for value in ("\ud800", "ok\udfffok", ["\ud800"]):
                response = _raw_json(client, method, url, {**body, field: value})
                assert response.status_code == 400, (url, field, response.status_code)
                errors = response.json()  # keyed by the field, or its path inside a list
                assert [k for k in errors if k.split("[")[0] == field] and "lone surrogate" in str(errors), (
                    url, field, errors)
        # In a key, and deep inside a list of objects.
        assert _raw_json(client, method, url, {**body, "\ud800": 1}).status_code == 400
    client = _client(make_user, "official")
    nested = {"number": "EXP-H-0003", "exporter": "E", "destination": "TR", "status": "active",
              "issued_on": "2020-05-12", "valid_until": "2022-05-11",
              "items": [{"control_entry": "2-15.a", "description": "\ud83d", "quantity": 1, "value": "1"}]}
    response = _raw_json(client, "post", "/api/v1/permits/", nested)
    assert response.status_code == 400 and "items[0].description" in response.json()


HOSTILE_PAGE_REQUESTS = [
    "/destinations/%00/", "/permits/?q=%00", "/permits/?q=a%00b", "/flags/?status=%00",
    "/admin/permits/permit/?exporter=%00", "/admin/permits/decision/?destination=%00",
    "/admin/permits/permit/?q=%00", "/admin/reviews/flag/?q=x&status=%00", "/permits/%00/",
    "/admin/permits/auditevent/%00/change/", "/permits/?%00=1",
]


def test_nul_in_a_path_or_query_is_a_400_with_a_message(superuser_client):
    for url in HOSTILE_PAGE_REQUESTS:
        response = superuser_client.get(url)
        assert response.status_code == 400, (url, response.status_code)
        assert b"NUL" in response.content, url


def test_nul_in_an_api_path_or_query_is_a_400_naming_the_parameter(make_user, world):
    client = _client(make_user, "reader")
    response = client.get("/api/v1/permits/?q=%00")
    assert response.status_code == 400 and "q" in response.json()
    response = client.get("/api/v1/destinations/%00/")
    assert response.status_code == 400 and "NUL" in response.json()["detail"]


def test_every_review_cases_admin_page_opens(superuser_client, world):
    superuser_client.post("/destinations/TR/reviews/", {"title": "Review of TR"})
    review = ReviewCase.objects.get()
    from reviews.models import Finding

    Finding.objects.get_or_create(review=review, criterion=Finding._meta.get_field("criterion").choices[0][0],
                                  defaults={"risk": Finding._meta.get_field("risk").choices[0][0],
                                            "rationale": "Seen.", "recorded_by": review.opened_by})
    response = superuser_client.get(f"/admin/reviews/reviewcase/{review.pk}/change/")
    assert response.status_code == 200
    assert b"Seen." in response.content  # the findings inline is there


@pytest.mark.parametrize("object_id", ["bad", "permits.Decision:1", "permits.Decision:abc",
                                       "permits.DecisionEvent:abc", "x:y", "permits.DecisionEvent:-1",
                                       "permits.DecisionEvent:99999999999999999999999", "permits.AuditEvent:1"])
def test_the_audit_event_page_for_a_bad_id_is_a_404(superuser_client, world, object_id):
    response = superuser_client.get(f"/admin/permits/auditevent/{object_id}/change/")
    assert response.status_code == 404, response.status_code


def test_the_audit_event_page_for_a_real_event_opens(superuser_client, world):
    from permits.models import DecisionEvent

    event = DecisionEvent.objects.order_by("pgh_id").first()
    response = superuser_client.get(f"/admin/permits/auditevent/permits.DecisionEvent:{event.pgh_id}/change/")
    assert response.status_code == 200


@pytest.mark.parametrize("url, action", [
    ("/admin/permits/permit/", "suspend_selected"), ("/admin/permits/decision/", "delete_selected"),
    ("/admin/reviews/flag/", "delete_selected"), ("/admin/auth/user/", "delete_selected"),
])
@pytest.mark.parametrize("selected", [["abc"], ["1", "x"], ["1.5"], [""]])
def test_an_admin_action_with_a_non_numeric_selected_id_is_a_400(superuser_client, world, url, action,
                                                                  selected):
    response = superuser_client.post(url, {"action": action, "_selected_action": selected, "index": "0"})
    assert response.status_code == 400, (url, selected, response.status_code)
    assert b"not valid ids" in response.content
    assert world["permit"].decisions.count() == 1  # nothing recorded


def test_an_admin_action_with_good_ids_still_reaches_its_confirmation(superuser_client, world):
    response = superuser_client.post("/admin/permits/permit/", {
        "action": "suspend_selected", "_selected_action": [str(world["permit"].pk)], "index": "0"})
    assert response.status_code == 200 and b"Confirm" in response.content


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_a_huge_user_name_at_sign_in_is_refused_not_a_500(client, path):
    response = client.post(path, {"username": "x" * 100_000, "password": "guess"})
    assert response.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session
    assert b"at most 150 characters" in response.content


def test_nul_in_a_form_body_is_a_400(superuser_client, world):
    for url, data in (
        ("/admin/permits/destination/decide/suspend/", {"ids": "T\x00", "reason": "r", "authority": "a",
                                                        "effective_on": "2020-01-01"}),
        ("/destinations/TR/reviews/", {"title": "Review\x00"}),
        ("/accounts/login/", {"username": "a\x00", "password": "x"}),
    ):
        response = superuser_client.post(url, data)
        assert response.status_code == 400, (url, response.status_code)
        assert b"NUL" in response.content
    assert not ReviewCase.objects.exists()


def test_destination_ids_that_are_not_codes_are_ignored_in_the_decision_page(superuser_client, world):
    response = superuser_client.get("/admin/permits/destination/decide/suspend/?ids=TR,1%27,%C4%B0T,TRX")
    assert response.status_code == 200
    assert [d.code for d in response.context["selected"]] == ["TR"]
