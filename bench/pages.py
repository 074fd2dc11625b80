"""Figure 6: the officials' pages over the million permits.

Dashboard (/), flag queue (/flags/), a permit's dossier (/permits/<number>/),
a destination's page (/destinations/<CODE>/) and the permit search
(/permits/, unfiltered and by destination and status), rendered in-process for a
logged-in official with 100,000 open flags on the big destination: server
time p50/p95 over repeated requests and the number of SQL queries per page.
The admin's permit and decision lists (where decisions are recorded) are
measured the same way for a decision maker signed in with a second factor.
"""

import time

from .common import Figure, median, percentile

BIG = "TR"
REPEAT = 15


def _official():
    from django.contrib.auth.models import Group, User

    user, _ = User.objects.get_or_create(username="bench-official")
    user.groups.add(Group.objects.get(name="official"))
    return user


def _decision_maker_client():
    """A client signed in as a decision maker with a verified second factor (the admin requires it)."""
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user, _ = User.objects.get_or_create(username="bench-minister")
    user.groups.add(Group.objects.get(name="decision_maker"))
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id  # what django-otp's login stores
    session.save()
    return client


def _flag_big_destination():
    """Evidence on the big destination, flagged through the service (synchronously)."""
    import datetime as dt

    from permits.models import Destination
    from reviews.models import DiversionEvidence
    from reviews.services import flag_evidence

    destination = Destination.objects.get(pk=BIG)
    evidence = DiversionEvidence.objects.create(
        destination=destination, title="Downed TB2 carried a CMX-15D", source_type="official",
        observed_on=dt.date(2020, 10, 20), credibility="high", control_entries=["2-15"], end_users=["Baykar"],
    )
    flag_evidence(evidence_id=evidence.pk)
    return evidence


def run():
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from permits.models import Permit

    from .flagging import reset

    reset()  # no flags left over from earlier runs: exactly one evidence's worth
    _flag_big_destination()
    # As autovacuum would have by the time officials look: the visibility map
    # is current, so counts over a destination's permits are index-only.
    from .common import raw

    with raw() as conn:
        conn.execute("VACUUM (ANALYZE) permits_permit, reviews_flag, reviews_diversionevidence")
    official = Client()
    official.force_login(_official())
    busy = Permit.objects.filter(destination_id=BIG, open_flags__gt=0).order_by("id").values_list(
        "number", flat=True)[:REPEAT]
    numbers = list(busy)
    minister = _decision_maker_client()
    pages = [
        ("dashboard", lambda i: "/"),
        ("flag queue", lambda i: "/flags/"),
        ("permit dossier", lambda i: f"/permits/{numbers[i % len(numbers)]}/"),
        ("destination page", lambda i: f"/destinations/{BIG}/"),
        # The register search (its filters are figure 5's): all permits, and one destination's active ones.
        ("permit search", lambda i: "/permits/" if i % 2 else f"/permits/?destination={BIG}&status=active"),
        # Where the Minister's office records decisions (signed in with a second factor).
        ("admin: permits", lambda i: "/admin/permits/permit/" if i % 2
         else f"/admin/permits/permit/?destination__code__exact={BIG}&status__exact=active"),
        ("admin: decisions", lambda i: "/admin/permits/decision/"),
    ]
    figures = []
    for name, url in pages:
        client = minister if name.startswith("admin") else official
        first = client.get(url(0))
        if first.status_code != 200:
            figures.append(Figure("6", f"page — {name}", None, "ms p95",
                                  note=f"not run: GET {url(0)} answered {first.status_code}"))
            continue
        times, queries = [], []
        for i in range(REPEAT):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url(i))
                times.append((time.perf_counter() - started) * 1000)
            queries.append(len(captured.captured_queries))
            if response.status_code != 200:
                raise RuntimeError(f"GET {url(i)} answered {response.status_code}")
        fig = Figure("6", f"page — {name} ({url(0) if name != 'permit dossier' else '/permits/<number>/'})",
                     percentile(times, 95), "ms p95", target="p95 < 200 ms",
                     note=f"p50 {median(times):.1f} ms; {min(queries)}–{max(queries)} queries")
        fig.met = fig.value < 200
        figures.append(fig)
        print(f"    {name}: p50 {median(times):.1f} ms p95 {percentile(times, 95):.1f} ms, "
              f"{min(queries)}–{max(queries)} queries", flush=True)
    return figures
