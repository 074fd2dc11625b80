"""The admin site: admission by role (group membership), never by is_staff.

Decision makers and auditors (and superusers) are admitted; officials and
readers are not. An authenticated user who is not admitted gets 403 on every
admin page except login/logout (an anonymous one is sent to the login page).
"""

from functools import update_wrapper

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .forms import BoundedUsernameMixin
from .core.roles import AUDITOR, DECISION_MAKER, has_role

ADMITTED_ROLES = (DECISION_MAKER, AUDITOR)


def admitted(user):
    return bool(user and user.is_active and user.is_authenticated and has_role(user, *ADMITTED_ROLES))


class RoleAdminAuthenticationForm(BoundedUsernameMixin, AdminAuthenticationForm):
    """The admin login, checking the role instead of is_staff."""

    def confirm_login_allowed(self, user):
        if not user.is_active:
            raise forms.ValidationError(self.error_messages["inactive"], code="inactive")
        if not admitted(user):
            raise forms.ValidationError(
                _("This account has no access to the administration (decision makers and auditors only)."),
                code="not_admitted",
            )


class PermitsAdminSite(admin.AdminSite):
    login_form = RoleAdminAuthenticationForm
    site_header = _("Export permits — administration")
    site_title = _("Export permits")
    index_title = _("Register, decisions and audit trail")

    def has_permission(self, request):
        return admitted(request.user)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def wrapper(request, *args, **kwargs):
            if (
                request.user.is_authenticated
                and not self.has_permission(request)
                and request.path not in (
                    reverse("admin:login", current_app=self.name),
                    reverse("admin:logout", current_app=self.name),
                )
            ):
                raise PermissionDenied
            if not _selection_is_valid(request, getattr(view, "__self__", None)):
                return HttpResponseBadRequest(
                    _("The selected items are not valid ids: reload the list and select again."),
                    content_type="text/plain; charset=utf-8",
                )
            return inner(request, *args, **kwargs)

        return update_wrapper(wrapper, inner)


def _selection_is_valid(request, model_admin):
    """False when an action's selected ids are not ids of the model at all.

    Django's admin filters ``pk__in`` with whatever the form sent, and a value
    its primary key cannot take (a word for a number) is a 500 there; checked
    once here for every list of every model.
    """
    if request.method != "POST" or not isinstance(model_admin, admin.ModelAdmin):
        return True
    selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
    pk = model_admin.model._meta.pk
    try:
        for value in selected:
            pk.to_python(value)
    except ValidationError:
        return False
    return True
