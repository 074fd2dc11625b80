"""The work of each kind of job that is not an import (permits/imports.py has that one)."""

import datetime as dt

from .. import services
from ..models import Destination


def blanket_body(result):
    """The body of a recorded blanket decision: the API's 201 and the job's result alike."""
    return {"batch": str(result.batch), "affected": result.affected, "permits": result.permit_numbers}


def blanket_params(*, destination, kind, reason, authority, effective_on, control_entry=None):
    """What a blanket-decision job records of its request (JSON)."""
    return {"destination": destination.code, "kind": str(kind), "reason": reason, "authority": authority,
            "effective_on": effective_on.isoformat(), "control_entry": control_entry}


def blanket_decision(job, progress):
    """The whole batch is one transaction (the job runner's): nothing to prepare beforehand."""
    params = job.params
    destination = Destination.objects.get(code=params["destination"])

    def apply():
        result = services.record_blanket_decision(
            destination=destination, kind=params["kind"], reason=params["reason"],
            authority=params["authority"], effective_on=dt.date.fromisoformat(params["effective_on"]),
            control_entry=params.get("control_entry"), decided_by=job.created_by,
        )
        return blanket_body(result)

    return apply
