"""The project's clock: what "today" is for effective dates, validity and expiry.

One function, so that every rule that depends on the date (a permit's status
on a day, the daily expiry, "must not be after today") asks the same clock,
in the configured TIME_ZONE.
"""

from django.utils import timezone


def today():
    """Today in the configured TIME_ZONE."""
    return timezone.localdate()
