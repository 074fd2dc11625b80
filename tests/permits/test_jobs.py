"""The job runner: claiming, running once, failing cleanly, the sweep."""

import datetime as dt

import pytest
from django.utils import timezone

from permits.jobs import services as jobs
from permits.models import Decision, Job, JobKind, Permit
from tests.factories import PermitFactory

pytestmark = pytest.mark.django_db
SUSPEND = {"kind": "suspend", "reason": "Nagorno-Karabakh.", "authority": "EIPA s.10(1)",
           "effective_on": "2020-10-05"}


def _blanket_job(user, **params):
    from permits.jobs.work import blanket_params
    from permits.models import Destination

    body = {**SUSPEND, "effective_on": dt.date(2020, 10, 5), "control_entry": None, **params}
    return Job.objects.create(kind=JobKind.BLANKET_DECISION, created_by=user,
                              params=blanket_params(destination=Destination.objects.get(code="TR"), **body))


def test_claim_moves_queued_to_running_once(decision_maker):
    job = _blanket_job(decision_maker)
    assert jobs.claim(job.pk) is True
    assert jobs.claim(job.pk) is False
    job.refresh_from_db()
    assert job.state == "running" and job.attempts == 1 and job.started_at is not None


def test_a_job_run_twice_records_its_work_once(decision_maker):
    PermitFactory(number="TR-1")
    PermitFactory(number="TR-2")
    job = _blanket_job(decision_maker)
    first = jobs.run(job.pk)
    second = jobs.run(job.pk)
    assert first["affected"] == 2 and sorted(first["permits"]) == ["TR-1", "TR-2"]
    assert second is None
    assert Decision.objects.filter(kind="suspend").count() == 2
    job.refresh_from_db()
    assert job.state == "done" and job.result == first and job.error == ""


def test_a_domain_error_fails_the_job_with_its_message_and_writes_nothing(decision_maker):
    PermitFactory(number="TR-1")
    job = _blanket_job(decision_maker)
    job.params["effective_on"] = "2999-01-01"
    job.save()
    assert jobs.run(job.pk) is None
    job.refresh_from_db()
    assert job.state == "failed" and "effective_on" in job.error
    assert Permit.objects.get(number="TR-1").status == "active"


def test_sweep_rings_again_for_queued_jobs_and_fails_lost_running_ones(decision_maker, monkeypatch):
    PermitFactory(number="TR-1")
    rung = []
    monkeypatch.setattr(jobs, "ring", rung.append)
    fresh = _blanket_job(decision_maker)
    stuck = _blanket_job(decision_maker)
    lost = _blanket_job(decision_maker)
    busy = _blanket_job(decision_maker)
    now = timezone.now()
    Job.objects.filter(pk=stuck.pk).update(updated_at=now - dt.timedelta(minutes=5))
    Job.objects.filter(pk=lost.pk).update(state="running", updated_at=now - dt.timedelta(hours=1))
    Job.objects.filter(pk=busy.pk).update(state="running", updated_at=now - dt.timedelta(minutes=1))
    requeued, failed = jobs.sweep(now=now)
    assert requeued == [stuck.pk] and rung == [stuck.pk]
    assert failed == [lost.pk]
    states = dict(Job.objects.values_list("pk", "state"))
    assert states == {fresh.pk: "queued", stuck.pk: "queued", lost.pk: "failed", busy.pk: "running"}
    assert "nothing was recorded" in Job.objects.get(pk=lost.pk).error
    # The re-rung job runs as usual, once.
    assert jobs.run(stuck.pk)["affected"] == 1
    assert jobs.run(lost.pk) is None and Decision.objects.filter(kind="suspend").count() == 1


def test_work_of_a_job_the_sweep_failed_meanwhile_is_undone(decision_maker, monkeypatch):
    from permits.jobs import work

    PermitFactory(number="TR-1")
    job = _blanket_job(decision_maker)
    real = work.blanket_decision

    def swept_while_running(job, progress):
        apply = real(job, progress)

        def apply_then_swept():
            result = apply()
            Job.objects.filter(pk=job.pk).update(state="failed", error="lost")
            return result
        return apply_then_swept

    monkeypatch.setattr(work, "blanket_decision", swept_while_running)
    assert jobs.run(job.pk) is None
    assert Permit.objects.get(number="TR-1").status == "active"
    assert not Decision.objects.filter(kind="suspend").exists()
