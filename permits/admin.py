"""The admin for decision makers and auditors.

Decision makers record ministerial decisions here (on selected permits, or on
every eligible permit of a destination) through a confirmation page that shows
what will change and what will be skipped, and why. Everything else is
read-only: permits come from the licensing system, decisions are a ledger, and
the audit trail is written by database triggers. Auditors read everything.
"""

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.http import Http404, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from pghistory.admin.core import EventModelFilter, EventsAdmin, LabelFilter

from . import audit, services
from .matching import entry_q, is_valid_pattern
from .models import (
    AuditEvent,
    Decision,
    DecisionKind,
    Destination,
    DestinationMeasure,
    EndUseAssurance,
    ExporterNotice,
    Permit,
    PermitItem,
    PermitStatus,
)
from .core.roles import DECISION_MAKER, ROLES, has_role
from .selectors import active_permits_count

K = DecisionKind

PERMIT_ACTIONS = {
    "issue_selected": K.ISSUE,
    "deny_selected": K.DENY,
    "suspend_selected": K.SUSPEND,
    "cancel_selected": K.CANCEL,
    "reinstate_selected": K.REINSTATE,
}
DESTINATION_ACTIONS = {
    "suspend_all": K.SUSPEND,
    "cancel_all": K.CANCEL,
    "reinstate_all": K.REINSTATE,
}


def can_decide(user):
    return has_role(user, DECISION_MAKER)


class ReadOnlyMixin:
    """Viewable by whoever has the view permission; never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    """Every field shown read-only, so that fields no form may edit (auto_now) can be listed."""

    extra = 0
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return list(self.fields or ())


# --- Decision confirmation ----------------------------------------------------

class DecisionForm(forms.Form):
    ids = forms.CharField(widget=forms.HiddenInput)
    # What the user was shown as "will change"; recording refuses if it moved since.
    expected = forms.CharField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=_("Recorded in the decision and sent to the exporter. Required."),
    )
    authority = forms.CharField(label=_("Authority"), max_length=200, initial=services.DEFAULT_AUTHORITY)
    effective_on = forms.DateField(
        label=_("Effective date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("A reason is required."))
        return reason

    def clean_authority(self):
        authority = self.cleaned_data["authority"].strip()
        if not authority:
            raise ValidationError(_("An authority is required."))
        return authority

    def clean_effective_on(self):
        day = self.cleaned_data["effective_on"]
        if day > services.today():
            raise ValidationError(_("Must not be after today."))
        return day


class BlanketDecisionForm(DecisionForm):
    control_entry = forms.CharField(
        label=_("Only goods under control entry"), required=False, max_length=40,
        help_text=_("Optional: e.g. '2-' for all of Group 2, '2-15' for 2-15 and its sub-entries."),
    )

    def clean_control_entry(self):
        pattern = self.cleaned_data["control_entry"].strip()
        if pattern and not is_valid_pattern(pattern):
            raise ValidationError(_("Not a control-list entry pattern (e.g. '2-', '2-15', '2-15.a')."))
        return pattern or None


def default_authority(kind):
    # Issuing and refusing a permit rest on s.7; amending, suspending, cancelling
    # and reinstating one on s.10(1).
    return services.ISSUE_AUTHORITY if kind in (K.ISSUE, K.DENY) else services.DEFAULT_AUTHORITY


def _ids(text, cast):
    values = []
    for part in (text or "").split(","):
        part = part.strip()
        if part:
            try:
                values.append(cast(part))
            except (TypeError, ValueError):
                continue
    return values


def _id_list(values):
    return ",".join(str(v) for v in values)


class DecisionConfirmation:
    """The confirmation page and the recording, shared by permits and destinations."""

    template = "admin/permits/decide.html"
    form_class = DecisionForm
    allowed_kinds = frozenset()

    def __init__(self, model_admin):
        self.model_admin = model_admin

    # Subclasses: which selected objects, what would happen, and record it.
    def selected(self, ids):
        raise NotImplementedError

    def preview(self, selected, kind, form_data):
        raise NotImplementedError

    def record(self, selected, kind, data, user):
        raise NotImplementedError

    def cast(self, value):
        return int(value)

    def check(self, request, kind):
        if not can_decide(request.user):
            raise PermissionDenied
        if kind not in self.allowed_kinds:
            raise Http404

    def start(self, request, queryset, kind):
        """From the changelist action: show the confirmation for the selection."""
        self.check(request, kind)
        return self.first_page(request, kind, list(queryset.values_list("pk", flat=True)))

    def first_page(self, request, kind, ids):
        form = self.form_class(initial={
            "ids": _id_list(ids), "authority": default_authority(kind),
            "effective_on": services.today(),
        })
        return self.render(request, kind, ids, form, effective_on=services.today(), data={})

    def view(self, request, kind):
        """The action URL: GET ?ids=... shows the page; POST previews again or records."""
        self.check(request, kind)
        if request.method == "GET":
            return self.first_page(request, kind, _ids(request.GET.get("ids"), self.cast))
        if request.method != "POST":
            raise Http404
        form = self.form_class(request.POST)
        ids = _ids(request.POST.get("ids"), self.cast)
        if not form.is_valid():
            day = form.cleaned_data.get("effective_on") or services.today()
            return self.render(request, kind, ids, form, effective_on=day, data=form.cleaned_data)
        data = form.cleaned_data
        selected = self.selected(ids)
        moves, _skipped, _extra = self.preview(selected, kind, data)
        shown = sorted(_ids(data.get("expected"), int))
        if "confirm" not in request.POST or shown != sorted(p.pk for p in moves):
            if "confirm" in request.POST:
                messages.warning(request, _(
                    "What this decision would change has changed since the page was shown "
                    "(new date, or the permits changed meanwhile). Review the lists and confirm again."
                ))
            return self.render(request, kind, ids, form, effective_on=data["effective_on"], data=data)
        try:
            results = self.record(selected, kind, data, request.user)
        except services.InvalidInput as exc:
            for name, errors in exc.errors.items():
                form.add_error(name if name in form.fields else None, errors)
            return self.render(request, kind, ids, form, effective_on=data["effective_on"], data=data)
        return self.done(request, kind, results)

    def render(self, request, kind, ids, form, *, effective_on, data):
        admin_ = self.model_admin
        selected = self.selected(ids)
        moves, skipped, extra = self.preview(selected, kind, {**data, "effective_on": effective_on})
        # The page records what it showed; confirming checks it is still so.
        expected = _id_list(p.pk for p in moves)
        if form.is_bound:
            form.data = form.data.copy()
            form.data["expected"] = expected
        else:
            form.initial["expected"] = expected
        _from, to_status = services.TRANSITIONS[kind]
        context = {
            **admin_.admin_site.each_context(request),
            "opts": admin_.model._meta,
            "title": _("Confirm: %(kind)s") % {"kind": K(kind).label},
            "kind": kind,
            "kind_label": K(kind).label,
            "to_status": PermitStatus(to_status).label,
            "selected": selected,
            "moves": moves,
            "skipped": skipped,
            "extra": extra,
            "form": form,
            "effective_on": effective_on,
            "action_url": reverse(
                f"admin:{admin_.model._meta.app_label}_{admin_.model._meta.model_name}_decide",
                args=[kind], current_app=admin_.admin_site.name,
            ),
            "blanket": self.form_class is BlanketDecisionForm,
        }
        return TemplateResponse(request, self.template, context)

    def done(self, request, kind, results):
        decisions = sum(r.affected for r in results)
        skipped = sum(len(r.skipped) for r in results)
        batches = [r.batch for r in results if r.affected]
        messages.success(request, _(
            "Recorded %(kind)s for %(n)d permit(s) in %(b)d batch(es); %(s)d skipped."
        ) % {"kind": K(kind).label, "n": decisions, "b": len(batches), "s": skipped})
        url = reverse("admin:permits_decision_changelist", current_app=self.model_admin.admin_site.name)
        if len(batches) == 1:
            url += "?" + urlencode({"batch": str(batches[0])})
        return HttpResponseRedirect(url)


class PermitDecision(DecisionConfirmation):
    allowed_kinds = frozenset(PERMIT_ACTIONS.values())

    def selected(self, ids):
        return list(Permit.objects.filter(pk__in=ids).select_related("destination").order_by("id"))

    def preview(self, selected, kind, data):
        moves, skipped = services.preview_batch(
            permit_ids=[p.pk for p in selected], kind=kind, effective_on=data.get("effective_on"),
        )
        return moves, skipped, None

    def record(self, selected, kind, data, user):
        return [services.record_batch_decision(
            permit_ids=[p.pk for p in selected], kind=kind, reason=data["reason"],
            authority=data["authority"], effective_on=data["effective_on"], decided_by=user,
        )]


class DestinationDecision(DecisionConfirmation):
    form_class = BlanketDecisionForm
    allowed_kinds = frozenset(DESTINATION_ACTIONS.values())

    def cast(self, value):
        value = str(value).strip().upper()
        if len(value) != 2 or not (value.isascii() and value.isalpha()):
            raise ValueError(value)
        return value

    def selected(self, ids):
        return list(Destination.objects.filter(pk__in=ids).order_by("code"))

    def preview(self, selected, kind, data):
        moves, skipped, untouched = [], [], []
        for destination in selected:
            # The very candidates record_blanket_decision would lock and plan.
            candidates = services.blanket_candidates(
                destination=destination, kind=kind, effective_on=data.get("effective_on"),
                control_entry=data.get("control_entry"),
            )
            m, s = services.preview_batch(permits=candidates, kind=kind, effective_on=data.get("effective_on"))
            moves += m
            skipped += s
            others = (
                Permit.objects.filter(destination=destination).exclude(pk__in=candidates.values("pk"))
                .with_status_on().values("status_on_day").annotate(n=Count("*")).order_by("status_on_day")
            )
            untouched += [(destination, PermitStatus(o["status_on_day"]).label, o["n"]) for o in others]
        return moves, skipped, untouched

    def record(self, selected, kind, data, user):
        with transaction.atomic():
            return [
                services.record_blanket_decision(
                    destination=destination, kind=kind, reason=data["reason"],
                    authority=data["authority"], effective_on=data["effective_on"],
                    control_entry=data.get("control_entry"), decided_by=user,
                )
                for destination in selected
            ]


def _decision_action(name, kind, description):
    def action(modeladmin, request, queryset):
        return modeladmin.confirmation.start(request, queryset, kind)

    action.__name__ = name
    return admin.action(description=description)(action)


class DecisionActionsMixin:
    """Decision actions appear only for decision makers; others get 403 if they try."""

    decision_actions = {}
    confirmation_class = DecisionConfirmation

    @property
    def confirmation(self):
        return self.confirmation_class(self)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        if not can_decide(request.user):
            for name in self.decision_actions:
                actions.pop(name, None)
        return actions

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and request.POST.get("action") in self.decision_actions:
            if not can_decide(request.user):
                raise PermissionDenied
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "decide/<slug:kind>/",
                self.admin_site.admin_view(self.decide_view),
                name="%s_%s_decide" % info,
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request, kind):
        return self.confirmation.view(request, kind)


# --- Permits --------------------------------------------------------------------

class FlaggedFilter(admin.SimpleListFilter):
    title = _("flagged")
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", _("Has open flags")), ("no", _("No open flags"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(open_flags__gt=0)
        if self.value() == "no":
            return queryset.filter(open_flags=0)
        return queryset


class StatusTodayFilter(admin.SimpleListFilter):
    """The status as shown today (the read model's), not the stored column."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return PermitStatus.choices

    def queryset(self, request, queryset):
        if self.value() in PermitStatus.values:
            return queryset.in_status_on(None, [self.value()])
        return queryset if not self.value() else queryset.none()


class PermitDestinationFilter(admin.RelatedFieldListFilter):
    """The destinations that have permits (same parameter as Django's related-only filter).

    Found by one index probe per destination, not a DISTINCT over every permit.
    """

    def field_choices(self, field, request, model_admin):
        return field.get_choices(
            include_blank=False, ordering=self.field_admin_ordering(field, request, model_admin),
            limit_choices_to=Q(Exists(Permit.objects.filter(destination=OuterRef("pk")))),
        )


class ExporterFilter(admin.SimpleListFilter):
    title = _("exporter")
    parameter_name = "exporter"

    def lookups(self, request, model_admin):
        return [(name, name) for name in recent_exporters(100)]

    def queryset(self, request, queryset):
        return queryset.filter(exporter=self.value()) if self.value() else queryset


# The distinct entries in index order, one index probe per entry (a "loose
# index scan" on the (control_entry varchar_pattern_ops, permit_id) index),
# instead of a DISTINCT over every item of the register.
_DISTINCT_ENTRIES_SQL = """
WITH RECURSIVE entries(entry) AS (
    (SELECT control_entry FROM permits_permititem ORDER BY control_entry USING ~<~ LIMIT 1)
    UNION ALL
    SELECT (SELECT control_entry FROM permits_permititem WHERE control_entry ~>~ entries.entry
            ORDER BY control_entry USING ~<~ LIMIT 1)
    FROM entries WHERE entries.entry IS NOT NULL
)
SELECT entry FROM entries WHERE entry IS NOT NULL LIMIT %s
"""


def distinct_entries(limit):
    """The first ``limit`` distinct control entries of all items, in (byte) order."""
    with connection.cursor() as cursor:
        cursor.execute(_DISTINCT_ENTRIES_SQL, [limit])
        return [row[0] for row in cursor.fetchall()]


def recent_exporters(limit, among=2000):
    """Up to ``limit`` exporters, by name, of the ``among`` most recent permits.

    A DISTINCT over every exporter of the register reads a million rows, and a
    btree index on exporter would draw the planner away from the trigram index
    for "exporter contains" searches; the recent ones are what an official
    looks for.
    """
    recent = Permit.objects.order_by("-starts_on", "number").values("exporter")[:among]
    return sorted({row["exporter"] for row in recent})[:limit]


class ControlEntryFilter(admin.SimpleListFilter):
    title = _("control entry")
    parameter_name = "control_entry"

    def lookups(self, request, model_admin):
        entries = distinct_entries(500)
        groups = sorted({e.split("-", 1)[0] + "-" for e in entries if "-" in e})
        return [(g, _("Group %(g)s") % {"g": g.rstrip("-")}) for g in groups] + [(e, e) for e in entries[:100]]

    def queryset(self, request, queryset):
        pattern = self.value()
        if not pattern:
            return queryset
        if not is_valid_pattern(pattern):
            return queryset.none()
        return queryset.filter(Exists(PermitItem.objects.filter(entry_q(pattern), permit=OuterRef("pk"))))


class PermitItemInline(ReadOnlyInline):
    model = PermitItem
    fields = ("control_entry", "description", "quantity", "value")
    show_change_link = False


class AssuranceInline(ReadOnlyInline):
    model = EndUseAssurance
    fields = ("kind", "issuer", "reference", "issued_on", "expires_on", "compliance")
    show_change_link = False


class DecisionInline(ReadOnlyInline):
    model = Decision
    fields = ("kind", "from_status", "to_status", "effective_on", "recorded_at", "authority",
              "reason", "decided_by", "batch")
    ordering = ("id",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("decided_by")


@admin.register(Permit)
class PermitAdmin(DecisionActionsMixin, admin.ModelAdmin):
    decision_actions = PERMIT_ACTIONS
    confirmation_class = PermitDecision
    actions = [
        _decision_action("issue_selected", K.ISSUE, _("Issue the selected permits…")),
        _decision_action("deny_selected", K.DENY, _("Deny the selected permits…")),
        _decision_action("suspend_selected", K.SUSPEND, _("Suspend the selected permits…")),
        _decision_action("cancel_selected", K.CANCEL, _("Cancel the selected permits…")),
        _decision_action("reinstate_selected", K.REINSTATE, _("Reinstate the selected permits…")),
    ]
    list_display = ("number", "exporter", "destination", "status_today", "starts_on", "valid_until", "open_flags")
    # Filtered lists show their count only: the register's total is another full COUNT(*).
    show_full_result_count = False
    list_filter = (StatusTodayFilter, ("destination", PermitDestinationFilter), ExporterFilter,
                   ControlEntryFilter, FlaggedFilter)
    search_fields = ("number", "exporter", "consignee", "end_user", "=items__control_entry")
    list_select_related = ("destination",)
    list_per_page = 100
    inlines = [PermitItemInline, AssuranceInline, DecisionInline]
    fieldsets = [
        (None, {"fields": ("number", "status_today", "exporter", "exporter_email", "destination")}),
        (_("End use"), {"fields": ("consignee", "end_user", "end_use")}),
        (_("Dates"), {"fields": ("received_on", "issued_on", "valid_until", "starts_on",
                                 "created_at", "updated_at")}),
        (_("Work"), {"fields": ("open_flags", "currency")}),
    ]

    @admin.display(description=_("status"), ordering="status")
    def status_today(self, obj):
        return obj.get_status_today_display()

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and request.user.has_perm("permits.view_auditevent"):
            fieldsets.append((_("Audit trail"), {"fields": ("history",), "classes": ("collapse",)}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Permit._meta.fields] + ["status_today", "history"]

    @admin.display(description=_("History"))
    def history(self, obj):
        return render_to_string("permits/_history.html", {"history": audit.permit_history(obj)})

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Permits with decisions are never deleted (the database refuses too).
        return (
            request.user.is_superuser and obj is not None and not obj.decisions.exists()
        )


# --- Destinations -----------------------------------------------------------------

class MeasureInline(admin.TabularInline):
    model = DestinationMeasure
    extra = 0
    fields = ("kind", "scope", "notice_reference", "description", "starts_on", "ends_on")

    def has_delete_permission(self, request, obj=None):
        return False  # a measure ends (ends_on); it is not erased


class HasPermitsFilter(admin.SimpleListFilter):
    title = _("permits")
    parameter_name = "has_permits"

    def lookups(self, request, model_admin):
        return [("yes", _("With permits")), ("flagged", _("With open flags"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(Exists(Permit.objects.filter(destination=OuterRef("pk"))))
        if self.value() == "flagged":
            return queryset.filter(open_flags__gt=0)
        return queryset


# A destination's policy facts: the lists and memberships that shape an assessment.
POLICY_FACTS = ("on_area_control_list", "on_afccl", "att_state_party", "nato_member", "eu_member")


@admin.register(Destination)
class DestinationAdmin(DecisionActionsMixin, admin.ModelAdmin):
    decision_actions = DESTINATION_ACTIONS
    confirmation_class = DestinationDecision
    actions = [
        _decision_action("suspend_all", K.SUSPEND, _("Suspend all eligible permits of the selected destinations…")),
        _decision_action("cancel_all", K.CANCEL, _("Cancel all eligible permits of the selected destinations…")),
        _decision_action("reinstate_all", K.REINSTATE, _("Reinstate all suspended permits of the selected destinations…")),
    ]
    list_display = ("code", "name", "active_permits", "open_flags", "nato_member", "eu_member",
                    "on_area_control_list", "att_state_party")
    list_filter = (HasPermitsFilter, "nato_member", "eu_member", "on_area_control_list", "att_state_party")
    search_fields = ("code", "name")
    inlines = [MeasureInline]

    def get_queryset(self, request):
        # A count per destination shown (index-only), not a join of every permit:
        # the changelist's counts of destinations then leave it out.
        return super().get_queryset(request).annotate(_active=active_permits_count())

    @admin.display(description=_("active permits"), ordering="_active")
    def active_permits(self, obj):
        return obj._active

    def get_readonly_fields(self, request, obj=None):
        # The policy facts are superusers' to keep (each change is in the audit
        # trail: Destination is tracked); code, name and the counter never change here.
        editable = POLICY_FACTS if request.user.is_superuser else ()
        return [f.name for f in Destination._meta.fields if f.name not in editable]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Decisions (the ledger) ---------------------------------------------------------

class BatchFilter(admin.SimpleListFilter):
    title = _("batch")
    parameter_name = "batch"

    def lookups(self, request, model_admin):
        recent = (
            Decision.objects.exclude(batch=None).values("batch")
            .annotate(last=Max("id")).order_by("-last").values_list("batch", flat=True)[:15]
        )
        seen = list(recent)
        choices = [(str(b), str(b)[:8] + "…") for b in seen]
        value = self.value()
        if value and value not in dict(choices):
            choices.insert(0, (value, value[:8] + "…"))
        return choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            return queryset.filter(batch=uuid.UUID(self.value()))
        except ValueError:
            return queryset.none()


class DecisionDestinationFilter(admin.SimpleListFilter):
    title = _("destination")
    parameter_name = "destination"

    def lookups(self, request, model_admin):
        # One index probe per destination, not a DISTINCT over every decision.
        decided = Exists(Decision.objects.filter(permit__destination=OuterRef("pk")))
        return [(d.code, str(d)) for d in Destination.objects.filter(decided).order_by("name")]

    def queryset(self, request, queryset):
        return queryset.filter(permit__destination=self.value()) if self.value() else queryset


@admin.register(Decision)
class DecisionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "permit_link", "kind", "from_status", "to_status", "effective_on",
                    "recorded_at", "decided_by", "batch_link", "short_hash")
    list_filter = ("kind", BatchFilter, DecisionDestinationFilter, "effective_on", "recorded_at")
    show_full_result_count = False
    search_fields = ("permit__number", "reason", "authority", "=hash")
    list_select_related = ("permit", "decided_by")
    # No date_hierarchy: its year links are a DISTINCT over every decision of the
    # register (and its bounds a MIN/MAX); the effective_on filter offers the periods.
    list_per_page = 100
    fields = ("id", "permit", "kind", "from_status", "to_status", "effective_on", "recorded_at",
              "authority", "reason", "decided_by", "batch", "hash", "previous_hash", "batch_permits")
    readonly_fields = fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("permit"), ordering="permit__number")
    def permit_link(self, obj):
        url = reverse("admin:permits_permit_change", args=[obj.permit_id], current_app=self.admin_site.name)
        return format_html('<a href="{}">{}</a>', url, obj.permit.number)

    @admin.display(description=_("batch"), ordering="batch")
    def batch_link(self, obj):
        if not obj.batch:
            return "—"
        url = reverse("admin:permits_decision_changelist", current_app=self.admin_site.name)
        return format_html('<a href="{}?batch={}">{}…</a>', url, obj.batch, str(obj.batch)[:8])

    @admin.display(description=_("hash"))
    def short_hash(self, obj):
        return format_html("<code>{}…</code>", obj.hash[:12])

    @admin.display(description=_("permits in this batch"))
    def batch_permits(self, obj):
        if not obj.batch:
            return "—"
        rows = Decision.objects.filter(batch=obj.batch).select_related("permit").order_by("id")
        change = "admin:permits_decision_change"
        count = rows.count()
        return format_html(
            "<p>{}</p><ul>{}</ul>",
            ngettext("%(n)d decision", "%(n)d decisions", count) % {"n": count},
            format_html_join(
                "", '<li><a href="{}">{}</a> ({} → {})</li>',
                ((reverse(change, args=[d.pk], current_app=self.admin_site.name), d.permit.number,
                  d.from_status, d.to_status) for d in rows),
            ),
        )


# --- Notices and the audit trail --------------------------------------------------------

@admin.register(ExporterNotice)
class ExporterNoticeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("decision", "recipient", "created_at", "sent_at", "attempts", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    list_select_related = ("decision",)


class EventUserFilter(admin.SimpleListFilter):
    title = _("user")
    parameter_name = "user"

    def lookups(self, request, model_admin):
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(
            Q(is_superuser=True) | Q(groups__name__in=ROLES)
        ).distinct().order_by("username")[:200]
        return [("none", _("No user (system, shell)"))] + [(str(u.pk), u.username) for u in users]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(user__isnull=True)
        if value and value.isdigit():
            return queryset.filter(user=int(value))
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(EventsAdmin):
    """Every recorded change, across the tracked tables, with its request context."""

    change_list_template = "admin/change_list.html"
    list_display = ("when", "table", "pgh_obj_id", "action", "who", "request", "changes")
    search_fields = ()
    list_per_page = 100

    def get_list_display(self, request):
        return self.list_display

    def get_list_filter(self, request):
        return [LabelFilter, EventModelFilter, EventUserFilter]

    @admin.display(description=_("when"), ordering="pgh_created_at")
    def when(self, obj):
        return obj.pgh_created_at

    @admin.display(description=_("table"))
    def table(self, obj):
        return obj.pgh_obj_model

    @admin.display(description=_("action"))
    def action(self, obj):
        return audit.ACTION_LABELS.get(obj.pgh_label, obj.pgh_label)

    @admin.display(description=_("who"))
    def who(self, obj):
        if obj.username:
            return obj.username
        return _("anonymous") if obj.url else _("system (no request)")

    @admin.display(description=_("request"))
    def request(self, obj):
        if not obj.url:
            return "—"
        return format_html("{} <code>{}</code><br><small>{} {}</small>", obj.method or "", obj.url,
                           obj.ip or "", obj.request_id or "")

    @admin.display(description=_("before → after"))
    def changes(self, obj):
        pairs = audit.changes(obj)
        if not pairs:
            return "—"
        return format_html_join(
            "", "<div><b>{}</b>: {} → {}</div>",
            ((c.field, "—" if c.before is None else c.before, "—" if c.after is None else c.after)
             for c in pairs[:12]),
        )

    def get_queryset(self, request):
        queryset = AuditEvent.objects.order_by("-pgh_created_at", "-pgh_id")
        object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        if object_id:
            model = _event_model(object_id)
            if model is None:
                return queryset.none()
            queryset = queryset.across(model)
        return queryset

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # An event's id is "<event model label>:<number>"; anything else (the
        # label of a tracked model rather than its event model, a word for the
        # number) is no event: 404, not the admin's redirect or a 500.
        if _event_model(object_id) is None or self.get_object(request, object_id) is None:
            raise Http404(_("No such audit event."))
        return super().change_view(request, object_id, form_url, extra_context)


def _event_model(object_id):
    """The pghistory event model named by an audit event's id, or None when the id is malformed."""
    import re

    from django.apps import apps
    from django.contrib.admin.utils import unquote
    from pghistory.models import Event

    label, _sep, number = unquote(object_id).partition(":")
    if not re.fullmatch(r"[0-9]{1,18}", number):
        return None
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return None
    return model if issubclass(model, Event) and not model._meta.proxy else None


# The operators' screen for webhooks (permits/events).
from .events import admin as _events_admin  # noqa: E402,F401
