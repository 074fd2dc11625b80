"""With a real worker on a real broker: the notice goes out after commit, in the background."""

import pytest

from permits import services
from permits.models import ExporterNotice
from tests.conftest import wait_for
from tests.factories import PermitFactory


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_notice_sent_by_the_worker(celery_worker):
    permit = PermitFactory(number="EXP-WRK-1")
    decision = services.record_decision(permit=permit, kind="suspend", reason="Evidence.")
    assert wait_for(lambda: ExporterNotice.objects.filter(pk=decision.pk, sent_at__isnull=False).exists())
    assert ExporterNotice.objects.get(pk=decision.pk).attempts == 1
