"""The pull feed: a page of events after a seq (see ``outbox`` for why paging
with ``next_after`` sees every event exactly once)."""

from .models import Event

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


def events_after(*, after, limit):
    """(payloads, next_after): up to ``limit`` events with seq > ``after``, oldest first."""
    rows = list(
        Event.objects.filter(seq__gt=after).order_by("seq")
        .values_list("seq", "event_id", "type", "time", "data")[:limit]
    )
    events = [Event(seq=seq, event_id=event_id, type=type_, time=time, data=data).payload()
              for seq, event_id, type_, time, data in rows]
    return events, (rows[-1][0] if rows else after)
