import pytest
from reviews.services import flag_evidence, open_review
from tests.browser.conftest import sign_in
from tests.factories import EvidenceFactory, PermitFactory, AssuranceFactory

pytestmark = pytest.mark.django_db(transaction=True)

def test_shots(live_server, page, official):
    p = PermitFactory(number="EXP-2020-00123")
    AssuranceFactory(permit=p)
    PermitFactory(number="EXP-2020-00124", consignee="Aselsan")
    e = EvidenceFactory(title="Downed TB2 carried a CMX-15D", end_users=["Baykar"])
    flag_evidence(evidence_id=e.pk)
    from permits.models import Destination
    r = open_review(destination=Destination.objects.get(code="TR"), title="Review TR", opened_by=official)
    sign_in(page, live_server, official)
    for name, url in [("dash", "/"), ("flags", "/flags/"), ("permits", "/permits/"), ("dossier", "/permits/EXP-2020-00123/?as_of=2020-06-01"),
                      ("dest", "/destinations/TR/"), ("review", f"/reviews/{r.pk}/")]:
        page.goto(live_server.url + url)
        page.screenshot(path=f"/tmp/shot-{name}.png", full_page=True)
