"""Exporters hear of suspension, cancellation and reinstatement: after commit, once, with retries."""

import smtplib
from unittest import mock

import pytest
from django.db import transaction

from permits import notifications, services
from permits.models import Decision, ExporterNotice, Permit
from permits.tasks import sweep_exporter_notices
from tests.factories import PermitFactory


def _permits(n, **kwargs):
    return [PermitFactory(number=f"EXP-NOT-{i}", **kwargs) for i in range(n)]


@pytest.mark.django_db(transaction=True)
def test_one_mail_per_decision_after_commit(mailoutbox):
    permits = _permits(3)
    with transaction.atomic():
        result = services.record_batch_decision(
            permit_ids=[p.pk for p in permits], kind="suspend", reason="Credible evidence.",
        )
        assert mailoutbox == []  # nothing leaves before the decision is committed
    assert len(mailoutbox) == 3
    assert sorted(m.subject for m in mailoutbox) == [f"Export permit EXP-NOT-{i} suspended" for i in range(3)]
    assert all(m.to == ["exports@example.com"] and "Credible evidence." in m.body for m in mailoutbox)
    assert ExporterNotice.objects.filter(sent_at__isnull=False).count() == 3
    # Running the task or the sweep again sends nothing twice.
    sweep_exporter_notices.delay().get()
    from permits.tasks import send_exporter_notices

    send_exporter_notices.delay([d.pk for d in result.decisions]).get()
    assert len(mailoutbox) == 3


@pytest.mark.django_db(transaction=True)
def test_no_mail_when_the_decision_rolls_back(mailoutbox):
    (permit,) = _permits(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record_decision(permit=permit, kind="cancel", reason="Evidence.")
        raise RuntimeError("something later in the same transaction failed")
    assert mailoutbox == []
    assert not ExporterNotice.objects.exists()
    assert Permit.objects.get(pk=permit.pk).status == "active"


@pytest.mark.django_db(transaction=True)
def test_only_suspend_cancel_reinstate_notify(mailoutbox):
    (permit,) = _permits(1)
    pending = PermitFactory(number="EXP-NOT-P", status="pending")
    silent = PermitFactory(number="EXP-NOT-S", exporter_email="")
    services.record_decision(permit=pending, kind="issue", reason="Issued.")
    assert mailoutbox == []  # issue: none
    services.record_decision(permit=permit, kind="suspend", reason="Evidence.")
    services.record_decision(permit=permit, kind="reinstate", reason="Cleared.")
    services.record_decision(permit=permit, kind="cancel", reason="Review concluded.")
    services.record_decision(permit=silent, kind="suspend", reason="Evidence.")  # no address
    assert [m.subject.rsplit(" ", 1)[1] for m in mailoutbox] == ["suspended", "reinstated", "cancelled"]


@pytest.mark.django_db(transaction=True)
def test_failing_mail_server_keeps_the_decision_and_retries(mailoutbox):
    (permit,) = _permits(1)
    with mock.patch.object(notifications, "send_mail", side_effect=smtplib.SMTPServerDisconnected("down")):
        decision = services.record_decision(permit=permit, kind="suspend", reason="Evidence.")
    # The decision stands; the notice is owed, with the failure recorded.
    assert Decision.objects.filter(pk=decision.pk).exists()
    assert Permit.objects.get(pk=permit.pk).status == "suspended"
    notice = ExporterNotice.objects.get(pk=decision.pk)
    assert notice.sent_at is None and notice.attempts >= 1 and "down" in notice.last_error
    assert mailoutbox == []
    # The mail server is back: the sweep sends it, once.
    assert sweep_exporter_notices.delay().get() == {"sent": 1, "failed": 0}
    assert sweep_exporter_notices.delay().get() == {"sent": 0, "failed": 0}
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_broker_outage_does_not_undo_the_decision(mailoutbox):
    (permit,) = _permits(1)
    from permits import tasks

    with mock.patch.object(tasks.send_exporter_notices, "delay", side_effect=OSError("broker down")):
        decision = services.record_decision(permit=permit, kind="suspend", reason="Evidence.")
    assert Permit.objects.get(pk=permit.pk).status == "suspended"
    assert ExporterNotice.objects.get(pk=decision.pk).sent_at is None
    sweep_exporter_notices.delay().get()
    assert len(mailoutbox) == 1


def test_sweep_is_scheduled():
    from config.celery import app

    assert "permits.tasks.sweep_exporter_notices" in {e["task"] for e in app.conf.beat_schedule.values()}
