"""One answer everywhere: a permit's status on a day, asked through every read path.

Each case puts one permit to Norway in the register and walks the API (list,
filter, detail, status), the officials' pages (search HTML and its CSV, the
dossier's header and timeline, the destination pages' counts, the dashboard)
and the admin (list, filter, destination counts). Every path must give the
read model's answer: a lapsed permit (active, valid_until passed, no expire
decision yet) is expired everywhere, and is not among the "active permits".
"""

import csv
import datetime as dt
import io
import re

import pytest

from permits import selectors, services
from permits.models import Permit, PermitStatus
from tests.factories import PermitFactory, new_token, token_client

D = dt.date


def _lapsed():
    return PermitFactory(number="EXP-NO-LAPSED", destination="NO", issued_on=D(2019, 1, 2),
                         valid_until=D(2020, 12, 31))


def _suspended():
    permit = PermitFactory(number="EXP-NO-SUSP", destination="NO", issued_on=D(2020, 3, 2))
    services.record_decision(permit=permit, kind="suspend", reason="Credible evidence of diversion.",
                             effective_on=D(2020, 10, 5))
    return permit


def _pending():
    return PermitFactory(number="EXP-NO-PEND", destination="NO", status="pending", received_on=D(2020, 6, 1))


def _in_force():
    return PermitFactory(number="EXP-NO-LIVE", destination="NO", issued_on=D(2020, 3, 2))


CASES = {
    # case: (make, status shown, "since" in the dossier's header)
    "lapsed": (_lapsed, "expired", "2021-01-01"),
    "suspended": (_suspended, "suspended", "2020-10-05"),
    "pending": (_pending, "pending", "2020-06-01"),
    "in force": (_in_force, "active", "2020-03-02"),
}
STATUSES = [value for value, _label in PermitStatus.choices]


def _bucket(has):
    """The one status for which ``has(status)`` is true (a list filtered by status shows it in one list only)."""
    found = [status for status in STATUSES if has(status)]
    return found[0] if len(found) == 1 else found


@pytest.fixture
def reader_api(make_user):
    return token_client(new_token(make_user("reader", username="rm-reader")))


@pytest.fixture
def auditor_client(client, make_user):
    # Auditors read the pages and the admin alike.
    client.force_login(make_user("auditor", username="rm-auditor"))
    return client


def _api_paths(api, number):
    def listed(**params):
        body = api.get("/api/v1/permits/", {"destination": "NO", **params}).json()
        return {p["number"]: p["status"] for p in body["results"]}

    destinations = {d["code"]: d for d in api.get("/api/v1/destinations/", {"page_size": 200}).json()["results"]}
    answers = {
        "api list": listed()[number],
        "api filter": _bucket(lambda status: number in listed(status=status)),
        "api filter + text": _bucket(lambda status: number in listed(status=status, q=number)),
        "api detail": api.get(f"/api/v1/permits/{number}/").json()["status"],
        "api status": api.get(f"/api/v1/permits/{number}/status/").json()["status"],
    }
    counts = {
        "api destinations active_permits": destinations["NO"]["active_permits"],
        "api destination active_permits": api.get("/api/v1/destinations/no/").json()["active_permits"],
    }
    return answers, counts


def _tag_after(html, anchor):
    match = re.search(re.escape(anchor) + r".*?tag--([a-z]+)", html, re.S)
    return match.group(1) if match else None


def _page_paths(client, number):
    def searched(**params):
        return client.get("/permits/", {"destination": "NO", **params}).content.decode()

    def exported(**params):
        text = b"".join(client.get("/permits/export.csv", {"destination": "NO", **params}).streaming_content)
        return {row["number"]: row["status"] for row in csv.DictReader(io.StringIO(text.decode()))}

    dossier = client.get(f"/permits/{number}/").content.decode()
    destination_page = client.get("/destinations/NO/").content.decode()
    status_counts = {
        status: int(re.search(rf'status={status}" aria-label="[^"]*">(\d+)<', destination_page).group(1))
        for status in STATUSES
    }
    destination_list = client.get("/destinations/", {"q": "Norway"}).content.decode()
    answers = {
        "search page": _tag_after(searched(), f">{number}</a>"),
        "search filter": _bucket(lambda status: f">{number}</a>" in searched(status=status)),
        "csv": exported()[number],
        "csv filter": _bucket(lambda status: number in exported(status=status)),
        "dossier header": _tag_after(dossier, 'id="permit-status"'),
        "destination page list": _tag_after(destination_page, f">{number}</a>"),
        "destination page counts": _bucket(lambda status: status_counts[status] == 1),
    }
    row = re.search(r"Norway \(NO\)</a></th><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td>", destination_list)
    dashboard = client.get("/").content.decode()
    counts = {
        "destination list active permits": int(row.group(2)),
        "dashboard permits in force": int(re.search(r'id="permits-in-force"><a[^>]*>(\d+)', dashboard).group(1)),
    }
    return answers, counts, dossier


def _admin_paths(client, number):
    labels = {str(label): value for value, label in PermitStatus.choices}

    def changelist(**params):
        return client.get("/admin/permits/permit/", {"destination__code__exact": "NO", **params}).content.decode()

    shown = re.search(r'field-status_today">([^<]+)<', changelist()).group(1)
    destinations = client.get("/admin/permits/destination/", {"code": "NO"}).content.decode()
    answers = {
        "admin list": labels[shown],
        "admin filter": _bucket(lambda status: f">{number}</a>" in changelist(status=status)),
    }
    counts = {"admin destinations active permits": int(re.search(r'field-active_permits">(\d+)<', destinations).group(1))}
    return answers, counts


@pytest.mark.parametrize("case", CASES)
def test_every_read_path_gives_the_read_models_answer(case, reader_api, auditor_client):
    make, expected, since = CASES[case]
    permit = make()
    number = permit.number
    assert Permit.objects.get(pk=permit.pk).status_on() == expected  # the definition itself

    api_answers, api_counts = _api_paths(reader_api, number)
    page_answers, page_counts, dossier = _page_paths(auditor_client, number)
    admin_answers, admin_counts = _admin_paths(auditor_client, number)

    answers = {**api_answers, **page_answers, **admin_answers}
    assert answers == {path: expected for path in answers}
    # "Active permits" is one thing everywhere: in force today.
    counts = {**api_counts, **page_counts, **admin_counts}
    in_force = 1 if expected == "active" else 0
    assert counts == {path: in_force for path in counts}
    # The header says since when the permit is in the status it shows.
    assert re.search(r'id="permit-status">.*?since ' + since, dossier, re.S)


def test_the_lapsed_permits_timeline_shows_when_its_validity_ended(auditor_client):
    _lapsed()
    page = auditor_client.get("/permits/EXP-NO-LAPSED/").content.decode()
    timeline = page[page.index('id="timeline"'):]
    assert re.search(r'datetime="2021-01-01[^"]*">2021-01-01</time>\s*<span class="timeline__kind">Validity ended', timeline)
    assert "Active since" not in page


def test_the_lapsed_permit_once_the_daily_job_ran_is_still_expired_since_the_same_day(auditor_client):
    permit = _lapsed()
    services.expire_due_permits()
    standing = Permit.objects.get(pk=permit.pk).standing_on()
    assert (standing.status, standing.since, standing.decision.kind) == ("expired", D(2021, 1, 1), "expire")
    page = auditor_client.get("/permits/EXP-NO-LAPSED/").content.decode()
    assert "Validity ended" not in page  # the recorded decision is on the timeline instead
    assert re.search(r'id="permit-status">.*?since 2021-01-01', page, re.S)


# --- The definition is one: model, queryset, filter and the status endpoint's SQL agree ---

DAYS = [D(2018, 12, 31), D(2019, 1, 2), D(2020, 6, 1), D(2020, 10, 4), D(2020, 10, 5), D(2020, 12, 31),
        D(2021, 1, 1), D(2023, 3, 1), None]


@pytest.mark.parametrize("day", DAYS, ids=lambda d: str(d or "today"))
def test_model_queryset_filter_and_status_endpoint_agree(db, day):
    permits = [_lapsed(), _suspended(), _pending(), _in_force()]
    cancelled = PermitFactory(number="EXP-NO-CANC", destination="NO", issued_on=D(2019, 1, 2))
    services.record_decision(permit=cancelled, kind="suspend", reason="r", effective_on=D(2020, 10, 5))
    services.record_decision(permit=cancelled, kind="cancel", reason="r", effective_on=D(2021, 4, 12))
    permits.append(cancelled)
    annotated = dict(Permit.objects.with_status_on(day).values_list("number", "status_on_day"))
    for permit in permits:
        permit = Permit.objects.get(pk=permit.pk)
        expected = permit.status_on(day)
        assert annotated[permit.number] == expected, permit.number
        try:
            endpoint = selectors.status_of_number(permit.number, day).status
        except selectors.NotStarted:
            endpoint = None
        assert endpoint == expected, permit.number
        holders = [s for s in STATUSES if Permit.objects.in_status_on(day, [s]).filter(pk=permit.pk).exists()]
        assert holders == ([] if expected is None else [expected]), permit.number
        if day is None:
            assert permit.status_today == expected
    if day is None:
        shown = Permit.objects.filter(pk__in=[p.pk for p in permits]).count_by_status_today()
        assert {s: n for s, n in shown.items() if n} == {s: list(annotated.values()).count(s)
                                                         for s in set(annotated.values())}


def test_the_past_days_answer_follows_the_decisions_in_recording_order(db):
    permit = _suspended()
    services.record_decision(permit=permit, kind="reinstate", reason="Review closed.", effective_on=D(2021, 2, 1))
    permit = Permit.objects.get(pk=permit.pk)
    assert [permit.status_on(day) for day in (D(2020, 3, 1), D(2020, 3, 2), D(2020, 10, 5), D(2021, 2, 1))] == [
        None, "active", "suspended", "active"]
    assert set(Permit.objects.in_status_on(D(2020, 11, 1), ["suspended"])) == {permit}
    assert not Permit.objects.in_status_on(D(2021, 3, 1), ["suspended"]).exists()
