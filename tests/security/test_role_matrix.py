"""No role reaches a write it does not hold, through the API, the pages or the admin.

Data-driven over the URL patterns: every named route must be classified
below (a new route that is not fails ``test_every_route_is_classified``), and
every write is tried by every role that does not hold it, checking both the
answer (a permission refusal, not a validation error) and that the database
did not change.
"""

import pytest
from django.contrib import admin
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from reviews import attachments
from reviews import services as review_services
from tests.factories import UserFactory, new_token, token_client

pytestmark = pytest.mark.django_db

ROLES = ("official", "decision_maker", "reader", "auditor", "norole", None)

# Writes: route name -> (roles that hold it, method, body builder). Superusers hold every write.
API_WRITES = {
    "api-permits": ({"official"}, "post", lambda w: {
        "number": "EXP-MATRIX-1", "exporter": "E", "destination": "TR", "status": "active",
        "issued_on": "2020-05-12", "valid_until": "2030-01-01", "currency": "CAD",
        "items": [{"control_entry": "2-15.a", "description": "S", "quantity": 1, "value": "1.00"}]}),
    "api-permit-decisions": ({"decision_maker"}, "post", lambda w: {"kind": "suspend", "reason": "R"}),
    "api-permit-assurances": ({"official"}, "post", lambda w: {"kind": "euc", "issuer": "Ministry"}),
    "api-assurance": ({"official"}, "patch", lambda w: {"compliance": "breached", "notes": "n"}),
    "api-blanket-decision": ({"decision_maker"}, "post", lambda w: {"kind": "suspend", "reason": "R"}),
    "api-destination-evidence": ({"official"}, "post", lambda w: {
        "title": "T", "source_type": "ngo", "observed_on": "2020-10-20", "credibility": "high"}),
    "api-flag-resolve": ({"official"}, "post", lambda w: {"resolution": "cleared", "note": "n"}),
    # (allowed, method, body, request format): an upload is multipart; it answers 202 with a job.
    "api-permit-import": ({"official"}, "post", lambda w: {"file": _upload()}, "multipart"),
    "api-evidence": ({"official"}, "patch", lambda w: {"credibility": "low", "note": "n"}),
    # Multipart (see MULTIPART): a document upload.
    "api-evidence-attachments": ({"official"}, "post", lambda w: {"file": _pdf()}),
}
MULTIPART = {"api-evidence-attachments"}
PAGE_WRITES = {
    "flags-resolve": ({"official"}, lambda w: {"flag": [w["flag"].pk], "resolution": "cleared", "note": "n"}),
    "flag-resolve": ({"official"}, lambda w: {"resolution": "cleared", "note": "n"}),
    "evidence-record": ({"official"}, lambda w: {
        "title": "T", "source_type": "ngo", "observed_on": "2020-10-20", "credibility": "high"}),
    "review-open": ({"official"}, lambda w: {"title": "Review"}),
    "review-findings": ({"official"}, lambda w: {}),
    "review-recommend": ({"official"}, lambda w: {"recommendation": "suspend", "rationale": "r"}),
    "review-send-back": ({"decision_maker"}, lambda w: {"note": "r"}),
    "review-decide": ({"decision_maker"}, lambda w: {"kind": "suspend", "reason": "r",
                                                      "authority": "EIPA s.10(1)"}),
    "assurance-update": ({"official"}, lambda w: {"compliance": "breached", "notes": "n"}),
    "permit-amend": ({"decision_maker"}, lambda w: {"consignee": "Other", "reason": "r",
                                                     "authority": "EIPA s.10(1)", "confirm": "1"}),
    "permit-rescind": ({"decision_maker"}, lambda w: {"rescinds": w["permit"].decisions.get().pk, "reason": "r",
                                                       "authority": "EIPA s.10(1)", "confirm": "1"}),
    "permit-new": ({"official"}, lambda w: {}),
    "permit-import": ({"official"}, lambda w: {}),
    "evidence-grade": ({"official"}, lambda w: {"status": "under_review", "credibility": "low",
                                                 "source_reliability": "C", "note": "n"}),
    "evidence-attachments": ({"official"}, lambda w: {"file": _pdf()}),
    "review-attachments": ({"official"}, lambda w: {"file": _pdf()}),
}
# Routes that write nothing (any method), and routes every visitor may use
# for their own session (signing in and out, language, own password).
READ_ONLY = {
    "api-permit", "api-permit-status", "api-destinations", "api-destination",
    "api-attachment-download", "attachment-download", "evidence-detail",
    "api-flags", "api-flag", "api-ledger-head", "api-events", "api-schema", "api-docs", "healthz", "readyz", "home", "flag-queue",
    "permit-search", "permit-export", "permit-detail", "destination-list", "destination-detail",
    "evidence-progress", "review-list", "review-detail", "api-job", "job-detail",
}
SELF_SERVICE = {
    "two_factor", "set_language", "login", "logout", "password_change", "password_change_done",
}


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.importfiles import permits_rows, to_csv

    return SimpleUploadedFile("permits.csv", to_csv(permits_rows(1, prefix="MATRIX")))


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("matrix.pdf", b"%PDF-1.4\n% matrix\n%%EOF\n", content_type="application/pdf")


def _routes(patterns=None, prefix=""):
    """(name, route string) of every named URL pattern outside the admin."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern.name, prefix + str(pattern.pattern)


def test_every_route_is_classified():
    known = set(API_WRITES) | set(PAGE_WRITES) | READ_ONLY | SELF_SERVICE
    unclassified = sorted({name for name, _route in _routes()} - known)
    assert not unclassified, f"classify these routes in {__name__}: {unclassified}"


def fingerprint():
    """A digest of every table that holds the register's data (not sessions or sign-in state)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND (table_name LIKE 'permits\\_%%' OR table_name LIKE "
            "'reviews\\_%%' OR table_name LIKE 'auth\\_%%') ORDER BY table_name"
        )
        tables = [row[0] for row in cursor.fetchall()]
        digest = {}
        for table in tables:
            column = "(t.*)::text" if table != "auth_user" else "(t.id, t.username, t.password, t.is_superuser, t.is_staff, t.is_active)::text"
            cursor.execute(f"SELECT count(*), md5(coalesce(string_agg({column}, ',' ORDER BY {column}), '')) "  # nosec B608
                           f'FROM "{table}" t')
            digest[table] = cursor.fetchone()
    return digest


@pytest.fixture
def world(world, attachments_dir):
    """The shared small register (tests/conftest.py) with an open review."""
    opener = UserFactory(role="official", username="matrix-opener")
    world["review"] = review_services.open_review(
        destination=world["permit"].destination, title="Review", opened_by=opener)
    world["attachment"] = attachments.store_attachment(upload=_pdf(), uploaded_by=opener,
                                                       evidence=world["evidence"])
    return world


def _kwargs(world, route):
    values = {"number": world["permit"].number, "code": "TR", "pk": None}
    if "assurance" in route:
        values["pk"] = world["assurance"].pk
    elif "flags/" in route:
        values["pk"] = world["flag"].pk
    elif route.startswith(("api/v1/attachments/", "attachments/")):
        values["pk"] = world["attachment"].pk
    elif "evidence/" in route:
        values["pk"] = world["evidence"].pk
    elif "reviews/" in route:
        values["pk"] = world["review"].pk
    elif "jobs/" in route:
        values["pk"] = 1
    return values


def _url(world, name):
    from django.urls import reverse

    route = dict(_routes())[name]
    kwargs = _kwargs(world, route)
    needed = {k: v for k, v in kwargs.items() if f"<{k}>" in route or f":{k}>" in route}
    return reverse(name, kwargs=needed)


def _user(make_user, role):
    if role is None:
        return None
    if role == "norole":
        return make_user(None, username="matrix-norole")
    return make_user(role, username=f"matrix-{role}")


def _api_client(user):
    return token_client(new_token(user) if user is not None else None)


@pytest.mark.parametrize("name", sorted(API_WRITES))
@pytest.mark.parametrize("role", ROLES)
def test_api_writes_only_by_their_role(make_user, world, name, role):
    allowed, method, body, *request_format = API_WRITES[name]
    url = _url(world, name)
    client = _api_client(_user(make_user, role))
    before = fingerprint()
    response = getattr(client, method)(url, body(world), format="multipart" if name in MULTIPART else (request_format or ["json"])[0])
    if role in allowed:
        assert response.status_code in (200, 201, 202), (url, response.status_code, response.content[:300])
        assert fingerprint() != before
    else:
        assert response.status_code == (401 if role is None else 403), (url, role, response.status_code)
        assert fingerprint() == before


@pytest.mark.parametrize("name", sorted(PAGE_WRITES))
@pytest.mark.parametrize("role", ROLES)
def test_page_writes_only_by_their_role(client, make_user, world, name, role):
    allowed, body = PAGE_WRITES[name]
    url = _url(world, name)
    user = _user(make_user, role)
    if user is not None:
        client.force_login(user)
    before = fingerprint()
    response = client.post(url, body(world))
    if role in allowed:
        assert response.status_code not in (401, 403), (url, role)
    elif role is None:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        assert fingerprint() == before
    else:
        assert response.status_code == 403, (url, role, response.status_code)
        assert fingerprint() == before


@pytest.mark.parametrize("name", sorted(READ_ONLY))
def test_read_only_routes_write_nothing_for_anyone(make_user, world, name):
    url = _url(world, name)
    for role in (*ROLES, "superuser"):
        user = make_user(None, username="matrix-root", is_superuser=True, is_staff=True) \
            if role == "superuser" else _user(make_user, role)
        for client in (_api_client(user), _session_client(user)):
            for method in ("post", "put", "patch", "delete"):
                before = fingerprint()
                response = getattr(client, method)(url, {"status": "cancelled", "kind": "cancel",
                                                         "reason": "r"}, format="json") \
                    if isinstance(client, APIClient) else getattr(client, method)(url, {"kind": "cancel"})
                assert response.status_code < 500, (url, role, method)
                assert fingerprint() == before, (url, role, method, response.status_code)


def _session_client(user):
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- The admin ----------------------------------------------------------------

def _admin_targets(world):
    """(model admin, an object of it or None) for every registered model."""
    for model, model_admin in admin.site._registry.items():
        yield model, model_admin, model.objects.order_by("pk").first()


@pytest.mark.parametrize("role", ["official", "reader", "auditor", "decision_maker", "norole"])
def test_the_admin_changes_nothing_for_roles_without_the_write(client, make_user, world, role):
    """Add, change and delete views of every model: refused, nothing changes.

    Decision makers write through the decision actions only (tried below);
    nobody but a superuser adds, edits or deletes rows in the admin.
    """
    from django.urls import NoReverseMatch, reverse

    client.force_login(_user(make_user, role))
    tried = 0
    for model, model_admin, obj in _admin_targets(world):
        opts = model._meta
        urls = [reverse(f"admin:{opts.app_label}_{opts.model_name}_add")]
        if obj is not None:
            for view in ("change", "delete"):
                try:
                    urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk]))
                except NoReverseMatch:
                    pass
        for url in urls:
            before = fingerprint()
            response = client.post(url, {"post": "yes", "name": "x", "username": "x", "status": "cancelled"})
            assert response.status_code in (403, 404, 302, 200), (url, response.status_code)
            if response.status_code == 302:
                assert "/login/" in response["Location"] or response["Location"] == url, (url, response["Location"])
            assert fingerprint() == before, (role, url, response.status_code)
            tried += 1
    assert tried > 10


@pytest.mark.parametrize("role", ["official", "reader", "auditor", "norole"])
def test_only_decision_makers_run_the_admin_decision_actions(client, make_user, world, role):
    from permits.admin import DESTINATION_ACTIONS, PERMIT_ACTIONS

    client.force_login(_user(make_user, role))
    for url, actions, pk in (("/admin/permits/permit/", PERMIT_ACTIONS, world["permit"].pk),
                             ("/admin/permits/destination/", DESTINATION_ACTIONS, "TR")):
        for action in actions:
            before = fingerprint()
            response = client.post(url, {"action": action, "_selected_action": [pk], "reason": "r",
                                         "apply": "yes", "post": "yes"})
            assert response.status_code == 403, (url, action, role, response.status_code)
            assert fingerprint() == before


def test_a_decision_maker_does_run_the_admin_suspension(client, make_user, world):
    client.force_login(_user(make_user, "decision_maker"))
    page = client.post("/admin/permits/permit/", {"action": "suspend_selected",
                                                  "_selected_action": [world["permit"].pk]})
    assert page.status_code == 200  # the confirmation step with its form
