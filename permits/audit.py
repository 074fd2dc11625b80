"""Reads of the audit trail (django-pghistory events written by triggers).

``permit_history(permit)`` is what the permit dossier shows: every recorded
change of the permit and of the rows that point at it (items, assurances,
flags, review membership...), oldest first, with who, when, from which
request, and each field's value before and after. It finds the event tables
that reference Permit generically, so this module needs no import of the
apps built on top of ``permits``.
"""

from dataclasses import dataclass, field

from django.apps import apps
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent

# Columns that only mirror the event's own time or the row's key.
_NOISE = frozenset({"id", "created_at", "updated_at", "recorded_at", "hash", "previous_hash"})

ACTION_LABELS = {
    "insert": _("created"),
    "update": _("changed"),
    "delete": _("deleted"),
    "password_change": _("password changed"),
}


# The names of the tracked models and of their columns as the history shows them. The
# models leave them implicit (Django derives them from the field names); they are listed
# here so that makemessages finds them, and _labels translates them when a page is drawn.
TRACKED_NAMES = (
    gettext_noop("decision"), gettext_noop("permit"), gettext_noop("permit item"),
    gettext_noop("end use assurance"), gettext_noop("flag"), gettext_noop("reviewcase-permit relationship"),
    gettext_noop("kind"), gettext_noop("from status"), gettext_noop("to status"), gettext_noop("effective on"),
    gettext_noop("authority"), gettext_noop("reason"), gettext_noop("decided by"), gettext_noop("batch"),
    gettext_noop("number"), gettext_noop("exporter"), gettext_noop("exporter email"),
    gettext_noop("destination"), gettext_noop("consignee"), gettext_noop("end user"), gettext_noop("end use"),
    gettext_noop("status"), gettext_noop("received on"), gettext_noop("issued on"),
    gettext_noop("valid until"), gettext_noop("starts on"), gettext_noop("currency"),
    gettext_noop("open flags"), gettext_noop("control entry"), gettext_noop("description"),
    gettext_noop("quantity"), gettext_noop("value"), gettext_noop("issuer"), gettext_noop("signatory"),
    gettext_noop("reference"), gettext_noop("expires on"), gettext_noop("government authenticated"),
    gettext_noop("reexport clause"), gettext_noop("compliance"), gettext_noop("notes"),
    gettext_noop("evidence"), gettext_noop("relevance"), gettext_noop("resolved at"),
    gettext_noop("resolved by"), gettext_noop("resolution note"), gettext_noop("reviewcase"),
)


@dataclass
class Change:
    field: str
    label: str
    before: object
    after: object


@dataclass
class HistoryEntry:
    at: object
    action: str
    label: str
    model: str
    object_id: str
    user_id: int | None
    username: str | None
    url: str | None
    method: str | None
    request_id: str | None
    changes: list = field(default_factory=list)
    event: str = ""  # "app.Model:pk" of the event row

    @property
    def actor(self):
        return self.username or ("system" if not self.url else "anonymous")


def _labels(model_label):
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        return model_label, {}
    concrete = model._meta.concrete_model
    by_column = {f.column: gettext(str(f.verbose_name)) for f in concrete._meta.concrete_fields}
    return gettext(str(concrete._meta.verbose_name)), by_column


def changes(event, columns=None):
    """The event's field changes (before → after), noise and empty-to-empty left out.

    The one reading of an event's diff: the dossier's history and the admin's
    audit trail both show this. ``columns`` maps column → label (default: the column).
    """
    columns = columns or {}
    data = event.pgh_data or {}
    if event.pgh_label == "delete":
        pairs = {k: (v, None) for k, v in data.items()}
    elif event.pgh_label == "insert":
        pairs = {k: (None, v) for k, v in data.items()}
    else:
        pairs = {k: tuple(v) for k, v in (event.pgh_diff or {}).items()}
    return [
        Change(field=k, label=columns.get(k, k), before=before, after=after)
        for k, (before, after) in sorted(pairs.items())
        if k not in _NOISE and not (before in (None, "", []) and after in (None, "", []))
    ]


def to_entries(events):
    """Turn AuditEvent rows into HistoryEntry values (with field labels)."""
    cache, entries = {}, []
    for event in events:
        if event.pgh_obj_model not in cache:
            cache[event.pgh_obj_model] = _labels(event.pgh_obj_model)
        model_name, columns = cache[event.pgh_obj_model]
        context = event.pgh_context or {}
        entries.append(HistoryEntry(
            at=event.pgh_created_at,
            action=event.pgh_label,
            label=ACTION_LABELS.get(event.pgh_label, event.pgh_label),
            model=model_name,
            object_id=event.pgh_obj_id,
            user_id=context.get("user"),
            username=context.get("username"),
            url=context.get("url"),
            method=context.get("method"),
            request_id=context.get("request_id"),
            changes=changes(event, columns),
            event=event.pgh_slug,
        ))
    return entries


def permit_events(permit):
    """The raw events of a permit and of every tracked row that references it."""
    return AuditEvent.objects.references(permit).order_by("pgh_created_at", "pgh_model", "pgh_id")


def permit_history(permit, *, limit=None):
    """A permit's audit history for the dossier page, oldest first.

    ``limit`` keeps the most recent ``limit`` entries. One query, whatever the
    number of events.
    """
    events = permit_events(permit)
    if limit is not None:
        events = list(reversed(
            AuditEvent.objects.references(permit)
            .order_by("-pgh_created_at", "-pgh_model", "-pgh_id")[:limit]
        ))
    return to_entries(events)
