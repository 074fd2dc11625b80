"""Small template helpers for the officials' pages, shared by every app's templates.

Status words come from ``LABELS``: the register's here, and each app above it
adds its own (reviews/templatetags/review_labels.py, loaded with the app), so
that this layer knows nothing of the apps that use it.
"""

from django import forms, template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from permits.models import Compliance, PermitStatus

register = template.Library()

LABELS = {
    "permit": dict(PermitStatus.choices),
    "compliance": dict(Compliance.choices),
}


@register.filter
def tag(value, kind):
    """A status as a tag: its word, with a colour class that repeats it."""
    label = LABELS.get(kind, {}).get(value, value)
    return format_html('<span class="tag tag--{}">{}</span>', value, label)


@register.inclusion_tag("includes/field.html")
def field(bound_field, css=""):
    widget = bound_field.field.widget
    return {
        "field": bound_field,
        "grouped": isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)),
        "css": css,
    }


@register.simple_tag(takes_context=True)
def current_section(context, name):
    """aria-current for the navigation link of the page's section."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    url_name = match.url_name if match else ""
    sections = {
        "home": {"home"},
        "flags": {"flag-queue"},
        "permits": {"permit-search", "permit-detail", "permit-new", "permit-import", "job-detail"},
        "destinations": {"destination-list", "destination-detail"},
        "reviews": {"review-list", "review-detail"},
    }
    return format_html('{}="{}"', "aria-current", "page") if url_name in sections.get(name, set()) else ""
