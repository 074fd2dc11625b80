"""How a model joins the audit trail (django-pghistory, database triggers).

Every insert, update and delete of a tracked table writes an event row from a
trigger in the same transaction, so no code path (ORM, bulk update, raw SQL,
the shell) can skip it. Each event row carries its own copy of the request
context (user, username, url, request id) rather than a shared context row:
the shared row is upserted as a request goes on, and could not be made
append-only. Event tables are append-only (pgtrigger.Protect on UPDATE and
DELETE), like the decision ledger.
"""

import pghistory


def audited(*, exclude=None, model_name=None, app_label=None, extra_trackers=()):
    """A class decorator (or wrapper) that records insert/update/delete events."""
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        *extra_trackers,
        exclude=exclude,
        model_name=model_name,
        app_label=app_label,
        context_field=pghistory.ContextJSONField(),
        append_only=True,
    )
