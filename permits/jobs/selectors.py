"""Reads of the job table shared by the pages and the API."""

from ..core.roles import AUDITOR, has_role
from .models import Job


def visible_jobs(user):
    """A job is its creator's; auditors and superusers (who read everything) see every one."""
    jobs = Job.objects.defer("payload")
    if has_role(user, AUDITOR):
        return jobs
    return jobs.filter(created_by=user)
