from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from permits.matching import is_valid_pattern
from permits.models import DEFAULT_AUTHORITY, Destination

from .models import (
    Credibility, Criterion, EvidenceStatus, FlagStatus, Recommendation, Relevance, RiskLevel, SourceReliability,
    SourceType,
)

FLAG_SORT_CHOICES = [
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("relevance", _("Relevance (high first)")),
    ("permit", _("Permit number")),
    ("destination", _("Destination")),
]
RESOLUTION_CHOICES = [(FlagStatus.CLEARED, _("Clear")), (FlagStatus.ESCALATED, _("Escalate to a review"))]


class FlagFilterForm(forms.Form):
    destination = forms.ChoiceField(label=_("Destination"), required=False)
    relevance = forms.ChoiceField(label=_("Relevance"), required=False,
                                  choices=[("", _("Any"))] + list(Relevance.choices))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any"))] + list(FlagStatus.choices))
    evidence = forms.IntegerField(label=_("Evidence number"), required=False, min_value=1,
                                  max_value=2**62)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=FLAG_SORT_CHOICES)

    def __init__(self, *args, destinations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["destination"].choices = [("", _("Any"))] + [(d.code, d.name) for d in destinations]


class ResolveForm(forms.Form):
    """Resolve one or many flags: clear them, or escalate them into a review."""

    resolution = forms.ChoiceField(label=_("Resolution"), choices=RESOLUTION_CHOICES,
                                   widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}),
                           error_messages={"required": _("A note is required.")},
                           help_text=_("Required: why the flag is cleared or escalated"))
    review = forms.ChoiceField(label=_("Review case (when escalating)"), required=False)
    title = forms.CharField(label=_("Title of a new review"), required=False, max_length=300)

    def __init__(self, *args, reviews=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["review"].choices = [("", _("Open a new review"))] + [
            (str(r.pk), f"#{r.pk} {r.title} ({r.destination_id})") for r in reviews
        ]

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError(_("A note is required."))
        return note


class BulkResolveForm(ResolveForm):
    flag = forms.TypedMultipleChoiceField(coerce=int, label=_("Flags"), choices=(),
                                          error_messages={"required": _("Select at least one flag.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id: the service resolves only flags that are still open.
        self.fields["flag"].valid_value = lambda value: str(value).isdigit() and len(str(value)) < 19


def _split(text):
    parts = [p.strip() for chunk in (text or "").splitlines() for p in chunk.split(",")]
    return [p for p in parts if p]


class EvidenceForm(forms.Form):
    """Field names are the API contract's, so the page and the API speak alike."""

    title = forms.CharField(label=_("Title"), max_length=300)
    summary = forms.CharField(label=_("Summary"), required=False, max_length=20000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    source_type = forms.ChoiceField(label=_("Source type"), choices=[("", _("Choose…"))] + list(SourceType.choices))
    source_reference = forms.CharField(label=_("Source reference or URL"), required=False, max_length=1000)
    observed_on = forms.DateField(label=_("Observed on"), help_text=_("Format: YYYY-MM-DD"),
                                  widget=forms.DateInput(attrs={"type": "date"}))
    diverted_to = forms.ChoiceField(label=_("Where the goods were observed (country)"), required=False)
    location = forms.CharField(label=_("Location"), required=False, max_length=200)
    credibility = forms.ChoiceField(label=_("Credibility"),
                                    choices=[("", _("Choose…"))] + list(Credibility.choices))
    source_reliability = forms.ChoiceField(label=_("Reliability of the source"), choices=SourceReliability.choices,
                                           initial=SourceReliability.F, required=False)
    control_entries = forms.CharField(
        label=_("Control-list entries named"), required=False, max_length=2000,
        help_text=_("Separated by commas, for example 2-15, 2-5"),
    )
    end_users = forms.CharField(
        label=_("End users or parties named"), required=False, max_length=5000,
        help_text=_("Separated by commas, for example Baykar"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["diverted_to"].choices = [("", _("Not known"))] + list(countries)

    def clean_observed_on(self):
        from permits.core.clock import today

        day = self.cleaned_data["observed_on"]
        if day > today():
            raise forms.ValidationError(_("Must not be in the future."))
        return day

    def clean_control_entries(self):
        entries = _split(self.cleaned_data["control_entries"])
        bad = [e for e in entries if not is_valid_pattern(e)]
        if bad:
            raise forms.ValidationError(_("Not a control-list entry: %(entries)s"),
                                        params={"entries": ", ".join(bad)})
        return entries

    def clean_end_users(self):
        users = _split(self.cleaned_data["end_users"])
        if any(len(u) > 200 for u in users):
            raise forms.ValidationError(_("Each name must be at most 200 characters."))
        return users

    def clean_diverted_to(self):
        code = self.cleaned_data["diverted_to"]
        return Destination.objects.filter(code=code).first() if code else None

    def service_fields(self):
        c = dict(self.cleaned_data)
        return {k: c[k] for k in (
            "title", "summary", "source_type", "source_reference", "observed_on", "diverted_to",
            "location", "credibility", "control_entries", "end_users",
        )} | {"source_reliability": c.get("source_reliability") or SourceReliability.F}


class OpenReviewForm(forms.Form):
    title = forms.CharField(label=_("Title of the review"), max_length=300)


class FindingsForm(forms.Form):
    """One row of fields per criterion; rows left without a risk level are not saved."""

    def __init__(self, *args, evidence=(), initial_findings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(Criterion.choices)
        evidence_choices = [(e.pk, f"#{e.pk} {e.title}") for e in evidence]
        initial_findings = initial_findings or {}
        for value, label in self.criteria:
            found = initial_findings.get(value)
            self.fields[f"{value}-risk"] = forms.ChoiceField(
                label=_("Risk"), required=False, widget=forms.RadioSelect,
                choices=[("", _("Not assessed"))] + list(RiskLevel.choices),
                initial=found.risk if found else "",
            )
            self.fields[f"{value}-rationale"] = forms.CharField(
                label=_("Rationale"), required=False, max_length=20000,
                widget=forms.Textarea(attrs={"rows": 2}), initial=found.rationale if found else "",
            )
            self.fields[f"{value}-evidence"] = forms.TypedMultipleChoiceField(
                label=_("Evidence relied on"), required=False, coerce=int, choices=evidence_choices,
                widget=forms.CheckboxSelectMultiple,
                initial=[e.pk for e in found.evidence.all()] if found else [],
            )

    def rows(self):
        return [
            (value, label, self[f"{value}-risk"], self[f"{value}-rationale"], self[f"{value}-evidence"])
            for value, label in self.criteria
        ]

    def clean(self):
        cleaned = super().clean()
        for value, _label in self.criteria:
            risk = cleaned.get(f"{value}-risk")
            rationale = (cleaned.get(f"{value}-rationale") or "").strip()
            if risk and not rationale:
                self.add_error(f"{value}-rationale", _("A rationale is required."))
            if rationale and not risk:
                self.add_error(f"{value}-risk", _("Choose a risk level."))
        if not any(cleaned.get(f"{v}-risk") for v, _l in self.criteria) and not self.errors:
            raise forms.ValidationError(_("Assess at least one criterion."))
        return cleaned

    def findings(self):
        c = self.cleaned_data
        return [
            {"criterion": v, "risk": c[f"{v}-risk"], "rationale": c[f"{v}-rationale"],
             "evidence_ids": c.get(f"{v}-evidence") or []}
            for v, _l in self.criteria if c.get(f"{v}-risk")
        ]


class RecommendationForm(forms.Form):
    recommendation = forms.ChoiceField(label=_("Recommendation"), choices=Recommendation.choices,
                                       widget=forms.RadioSelect)
    rationale = forms.CharField(label=_("Rationale"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Decision"), choices=Recommendation.choices, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reasons"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    authority = forms.CharField(label=_("Legal authority"), max_length=200, initial=DEFAULT_AUTHORITY)
    effective_on = forms.DateField(label=_("Effective on"), required=False,
                                   help_text=_("Format: YYYY-MM-DD; today if left empty"),
                                   widget=forms.DateInput(attrs={"type": "date"}))

    def clean_effective_on(self):
        from permits.core.clock import today

        day = self.cleaned_data["effective_on"]
        if day and day > today():
            raise forms.ValidationError(_("Must not be after today."))
        return day


class SendBackForm(forms.Form):
    note = forms.CharField(label=_("What more is needed"), max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class _CorrectionForm(forms.Form):
    reason = forms.CharField(label=_("Reasons"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))
    authority = forms.CharField(label=_("Legal authority"), max_length=200, initial=DEFAULT_AUTHORITY)
    effective_on = forms.DateField(label=_("Effective on"), required=False,
                                   help_text=_("Format: YYYY-MM-DD; today if left empty"),
                                   widget=forms.DateInput(attrs={"type": "date"}))

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("A reason is required."))
        return reason


class AmendForm(_CorrectionForm):
    """An amendment of a permit: its validity, parties and items, prefilled with today's values.

    Only what differs from the permit becomes a change (the service decides).
    """

    valid_until = forms.DateField(label=_("Valid until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    consignee = forms.CharField(label=_("Consignee"), max_length=200, required=False)
    end_user = forms.CharField(label=_("End user"), max_length=200, required=False)
    end_use = forms.CharField(label=_("End use"), max_length=500, required=False)

    def __init__(self, *args, permit, **kwargs):
        kwargs.setdefault("initial", {
            "valid_until": permit.valid_until, "consignee": permit.consignee,
            "end_user": permit.end_user, "end_use": permit.end_use,
        })
        super().__init__(*args, **kwargs)
        self.item_rows = []
        for item in permit.items.all():
            quantity, value = f"item_{item.pk}_quantity", f"item_{item.pk}_value"
            self.fields[quantity] = forms.IntegerField(
                label=_("Quantity of %(item)s") % {"item": item.description}, min_value=1,
                max_value=2_147_483_647, initial=item.quantity)
            self.fields[value] = forms.DecimalField(
                label=_("Value of %(item)s") % {"item": item.description}, min_value=0, max_digits=15,
                decimal_places=2, initial=item.value)
            self.item_rows.append((item, self[quantity], self[value]))

    def changes(self):
        """The service's ``changes`` from the cleaned form (every field given; unchanged ones drop out)."""
        c = self.cleaned_data
        changes = {name: c[name] for name in ("consignee", "end_user", "end_use")}
        if c.get("valid_until"):
            changes["valid_until"] = c["valid_until"]
        changes["items"] = [
            {"id": item.pk, "quantity": c[quantity.name], "value": c[value.name]}
            for item, quantity, value in self.item_rows
        ]
        return changes


class RescindForm(_CorrectionForm):
    rescinds = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)


class EvidenceGradeForm(forms.Form):
    """Re-grade evidence or change its status (refuted clears its open flags)."""

    status = forms.ChoiceField(label=_("Status"), choices=EvidenceStatus.choices)
    credibility = forms.ChoiceField(label=_("Credibility of the information"), choices=Credibility.choices)
    source_reliability = forms.ChoiceField(label=_("Reliability of the source"), choices=SourceReliability.choices)
    note = forms.CharField(label=_("Note"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Why: kept in the audit trail. Refuting clears every open flag with this note."))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Document"), help_text=_(
        "PDF, image, office document or text; its SHA-256 is recorded."))
