"""The request id that queued a task is on the worker's log lines for that task."""

import datetime as dt
import json

import pytest

from config.logging import request_id_var
from permits.models import Destination
from reviews import services
from reviews.models import DiversionEvidence
from tests.conftest import wait_for
from tests.factories import PermitFactory

pytestmark = [pytest.mark.worker, pytest.mark.timeout(120)]


def test_task_log_lines_carry_the_request_id_of_the_request_that_queued_them(start_worker, broker):
    PermitFactory(destination="TR")
    worker = start_worker()
    token = request_id_var.set("req-7f3a9c")
    try:
        evidence = services.record_evidence(
            destination=Destination.objects.get(code="TR"), title="Traced", source_type="media",
            observed_on=dt.date(2020, 10, 20), credibility="low",
        )
    finally:
        request_id_var.reset(token)
    wait_for(lambda: DiversionEvidence.objects.get(pk=evidence.pk).flagging_finished_at)

    def task_line():
        for line in worker.log().splitlines():
            if line.startswith("{") and "flagging of evidence" in line:
                return json.loads(line)
        return None

    record = wait_for(task_line, timeout=10)
    assert record["request_id"] == "req-7f3a9c"
    assert record["logger"] == "reviews.tasks"
    assert record["level"] == "INFO" and record["time"].endswith("+00:00")
