from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .matching import is_valid_pattern
from .models import Compliance, Destination, PermitStatus

class BoundedUsernameMixin:
    """Enforce the user name's length on sign-in forms.

    Django's AuthenticationForm sets the field's max_length after the field
    is built, so no validator checks it: a 100,000-character name then
    reaches the lockout's record of failed attempts (255 characters) and the
    database refuses it (a 500). No user can have a longer name anyway.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        if field.max_length:
            field.validators.append(MaxLengthValidator(field.max_length))


class SignInForm(BoundedUsernameMixin, AuthenticationForm):
    """The officials' sign-in page (/accounts/login/)."""


FLAGGED_CHOICES = [("", _("Any")), ("true", _("With open flags")), ("false", _("Without open flags"))]


class PermitSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, max_length=200,
        help_text=_("Permit number, exporter, consignee, end user or item description"),
    )
    destination = forms.CharField(
        label=_("Destination"), required=False, max_length=2,
        help_text=_("Two-letter country code, for example TR"),
    )
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any"))] + list(PermitStatus.choices))
    control_entry = forms.CharField(
        label=_("Control-list entry"), required=False, max_length=40,
        help_text=_("For example 2-15 (matches 2-15 and 2-15.a) or 2- (all of group 2)"),
    )
    flagged = forms.ChoiceField(label=_("Flags"), required=False, choices=FLAGGED_CHOICES)

    def clean_destination(self):
        code = self.cleaned_data["destination"].strip().upper()
        if code and not Destination.objects.filter(code=code).exists():
            raise forms.ValidationError(_("Unknown country code."))
        return code

    def clean_control_entry(self):
        entry = self.cleaned_data["control_entry"].strip()
        if entry and not is_valid_pattern(entry):
            raise forms.ValidationError(_("Not a control-list entry pattern (for example 2-15.a)."))
        return entry


class StatusAsOfForm(forms.Form):
    as_of = forms.DateField(label=_("Status on date"), help_text=_("Format: YYYY-MM-DD"),
                            widget=forms.DateInput(attrs={"type": "date"}))
    # A browser's date-and-time box carries no zone: the site's TIME_ZONE is
    # meant (Django's forms make it aware); an explicit offset is kept.
    known_at = forms.DateTimeField(
        label=_("As the register stood at"), required=False,
        help_text=_("Optional: date and time (local time); only decisions recorded by then count"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class AssuranceComplianceForm(forms.Form):
    compliance = forms.ChoiceField(label=_("Compliance"), choices=Compliance.choices)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 2}))
