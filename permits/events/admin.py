"""The operators' screen for webhooks: superusers act, auditors read."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from ..core.roles import AUDITOR, has_role
from . import webhooks
from .models import Delivery, DeliveryAttempt, DeliveryState, WebhookEndpoint


def _may_view(user):
    return user.is_active and (user.is_superuser or has_role(user, AUDITOR))


class OperatorsOnly:
    """Viewed by superusers and auditors; only superusers run the actions; nobody
    adds or edits rows here (endpoints come from create_webhook_endpoint)."""

    def has_module_permission(self, request):
        return _may_view(request.user)

    def has_view_permission(self, request, obj=None):
        return _may_view(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_operate_permission(self, request):
        return request.user.is_active and request.user.is_superuser


class ReplayForm(helpers.ActionForm):
    after_seq = forms.IntegerField(label=_("after seq"), required=False, min_value=0,
                                   help_text=_("For “replay since”: every event with a higher seq."))


class AttemptInline(OperatorsOnly, admin.TabularInline):
    model = DeliveryAttempt
    fields = readonly_fields = ("at", "status_code", "duration_ms", "error", "response_body")
    extra = 0


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(OperatorsOnly, admin.ModelAdmin):
    list_display = ("url", "description", "is_active", "health", "last_success_at", "consecutive_failures",
                    "queue_depth", "types")
    list_filter = ("is_active",)
    fields = readonly_fields = ("url", "description", "event_types", "is_active", "disabled_reason",
                                "created_at", "last_success_at", "last_failure_at", "consecutive_failures",
                                "lease_until")
    actions = ("rotate_secret", "disable", "enable", "replay_since")
    action_form = ReplayForm

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            pending=Count("deliveries", filter=Q(deliveries__state=DeliveryState.PENDING)))

    @admin.display(description=_("queue depth"), ordering="pending")
    def queue_depth(self, obj):
        return obj.pending

    @admin.display(description=_("health"))
    def health(self, obj):
        if not obj.is_active:
            return _("disabled")
        return _("failing") if webhooks.is_failing(obj) else _("healthy")

    @admin.display(description=_("event types"))
    def types(self, obj):
        return ", ".join(obj.event_types) or _("all")

    @admin.action(description=_("Rotate the secret (shown once)"), permissions=["operate"])
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            secret = webhooks.rotate_secret(endpoint=endpoint)
            self.message_user(request, _("New secret of %(url)s (shown this once; the previous one "
                                         "keeps signing during the overlap): %(secret)s")
                              % {"url": endpoint.url, "secret": secret}, messages.WARNING)

    @admin.action(description=_("Disable"), permissions=["operate"])
    def disable(self, request, queryset):
        for endpoint in queryset:
            webhooks.disable_endpoint(endpoint=endpoint, reason=f"Disabled by {request.user.username}.")
        self.message_user(request, _("%(n)d endpoint(s) disabled.") % {"n": len(queryset)})

    @admin.action(description=_("Enable"), permissions=["operate"])
    def enable(self, request, queryset):
        for endpoint in queryset:
            webhooks.enable_endpoint(endpoint=endpoint)
        self.message_user(request, _("%(n)d endpoint(s) enabled.") % {"n": len(queryset)})

    @admin.action(description=_("Replay every event since the seq given"), permissions=["operate"])
    def replay_since(self, request, queryset):
        # The action form's own field; the form as a whole is validated by the admin.
        try:
            after_seq = forms.IntegerField(min_value=0, max_value=2**63 - 1).clean(request.POST.get("after_seq"))
        except forms.ValidationError:
            self.message_user(request, _("Give the seq to replay after (a whole number ≥ 0)."), messages.ERROR)
            return
        for endpoint in queryset:
            count = webhooks.replay_since(endpoint=endpoint, after_seq=after_seq)
            self.message_user(request, _("%(n)d event(s) queued again for %(url)s.")
                              % {"n": count, "url": endpoint.url})


@admin.register(Delivery)
class DeliveryAdmin(OperatorsOnly, admin.ModelAdmin):
    list_display = ("event", "endpoint", "state", "attempts", "last_status_code", "last_duration_ms",
                    "next_attempt_at", "delivered_at")
    list_filter = ("state", "endpoint")
    list_select_related = ("event", "endpoint")
    fields = readonly_fields = ("event", "endpoint", "state", "attempts", "created_at", "next_attempt_at",
                                "delivered_at", "last_status_code", "last_duration_ms", "last_error")
    inlines = (AttemptInline,)
    actions = ("replay",)
    show_full_result_count = False

    @admin.action(description=_("Replay the selected deliveries"), permissions=["operate"])
    def replay(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        webhooks.replay_deliveries(delivery_ids=ids)
        self.message_user(request, _("%(n)d deliveries queued again.") % {"n": len(ids)})
