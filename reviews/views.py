"""The officials' pages on the reviews side: dashboard, flag queue, permit
dossier, destinations with evidence intake, and review cases.

Every view checks the role (permits.views.role_required); writes go through
the services; reads through the selectors.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from permits.forms import AssuranceComplianceForm, StatusAsOfForm
from permits.models import Destination, Permit, PermitStatus
from permits.audit import permit_history
from permits.core.roles import AUDITOR, DECISION_MAKER, OFFICIAL, has_role
from permits.selectors import active_permits_count, measures_in_force, per_row, status_as_of
from permits.core.errors import NotStarted
from permits.core.clock import today
from permits.core.errors import DomainError, InvalidInput, TransitionNotAllowed
from permits.views import PAGE_SIZE, READ_ROLES
from permits.core.http import role_required, safe_next
from permits import services as register

from . import attachments, selectors, services
from .forms import (
    AmendForm,
    AttachmentForm,
    BulkResolveForm,
    DecisionForm,
    EvidenceForm,
    EvidenceGradeForm,
    FindingsForm,
    FlagFilterForm,
    OpenReviewForm,
    RecommendationForm,
    RescindForm,
    ResolveForm,
    SendBackForm,
)
from .models import Attachment, DiversionEvidence, Flag, FlagStatus, ReviewCase, ReviewStatus


def _error_text(exc):
    if isinstance(exc, InvalidInput):
        return " ".join(" ".join(str(m) for m in msgs) if isinstance(msgs, list) else str(msgs)
                        for msgs in exc.errors.values())
    if isinstance(exc, TransitionNotAllowed):
        return exc.detail
    return str(exc)


def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    return dashboard(request)


@role_required(*READ_ROLES)
def dashboard(request):
    data = selectors.dashboard(
        is_official=has_role(request.user, OFFICIAL),
        is_decision_maker=has_role(request.user, DECISION_MAKER),
    )
    return render(request, "reviews/dashboard.html", data)


# --- Flags ---------------------------------------------------------------------

@role_required(*READ_ROLES)
def flag_queue(request):
    destinations = list(selectors.flagged_destinations())
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = FlagStatus.OPEN
    filters = FlagFilterForm(data, destinations=destinations)
    if filters.is_valid():
        c = filters.cleaned_data
        flags = selectors.flag_queue(
            destination=c["destination"], relevance=c["relevance"], status=c["status"],
            evidence=c["evidence"], sort=c["sort"] or "newest",
        )
    else:
        flags = Flag.objects.none()
    page = Paginator(flags, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    reviews = list(selectors.open_reviews())
    resolve_form = BulkResolveForm(reviews=reviews, auto_id="bulk_%s")
    return render(request, "reviews/flag_queue.html", {
        "filters": filters, "page": page, "query": query.urlencode(), "resolve_form": resolve_form,
    })


def _resolve(request, flag_ids, form):
    """Clear, or escalate into a review; returns (resolved flags, reviews touched)."""
    c = form.cleaned_data
    if c["resolution"] == FlagStatus.CLEARED:
        return services.resolve_flags(flag_ids=flag_ids, resolution=FlagStatus.CLEARED,
                                      note=c["note"], resolved_by=request.user), []
    review = None
    if c["review"]:
        review = ReviewCase.objects.filter(pk=int(c["review"])).first()
        if review is None:
            raise InvalidInput({"review": [_("That review no longer exists.")]})
    reviews = services.escalate_flags(flag_ids=flag_ids, note=c["note"], resolved_by=request.user,
                                      review=review, title=c["title"])
    return None, reviews


def _form_errors_to_messages(request, form, prefix=""):
    """The forms post from pages that list many flags: report errors as messages, naming the field."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            messages.error(request, f"{prefix}{label}: {error}" if label else f"{prefix}{error}")


def _report(request, count, reviews):
    if reviews:
        for review in reviews:
            messages.success(request, _("Flags escalated to review #%(id)s “%(title)s”.")
                             % {"id": review.pk, "title": review.title})
    else:
        messages.success(request, _("%(count)s flag(s) cleared.") % {"count": count})


@require_POST
@role_required(OFFICIAL)
def flags_resolve(request):
    """Bulk resolution from the queue."""
    reviews = list(selectors.open_reviews())
    form = BulkResolveForm(request.POST, reviews=reviews)
    target = safe_next(request, reverse("flag-queue"))
    if not form.is_valid():
        _form_errors_to_messages(request, form)
        return redirect(target)
    try:
        cleared, touched = _resolve(request, form.cleaned_data["flag"], form)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return redirect(target)
    if cleared is not None and not cleared:
        messages.error(request, _("None of the selected flags was still open."))
    else:
        _report(request, len(cleared or []), touched)
    if len(touched) == 1:
        return redirect("review-detail", pk=touched[0].pk)
    return redirect(target)


@require_POST
@role_required(OFFICIAL)
def flag_resolve(request, pk):
    """One flag, from the dossier, the destination page or the live flag list."""
    flag = get_object_or_404(Flag, pk=pk)
    reviews = list(selectors.open_reviews([flag.destination_id]))
    form = ResolveForm(request.POST, reviews=reviews, prefix=f"flag{pk}")
    target = safe_next(request, reverse("permit-detail", args=[flag.permit.number]))
    if not form.is_valid():
        _form_errors_to_messages(request, form, prefix=_("Flag #%(id)s: ") % {"id": pk})
        return redirect(target)
    try:
        cleared, touched = _resolve(request, [pk], form)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return redirect(target)
    if cleared is not None and not cleared:
        messages.error(request, _("This flag has already been resolved."))
    else:
        _report(request, 1, touched)
    return redirect(target)


# --- Permit dossier ----------------------------------------------------------------



@role_required(*READ_ROLES)
def permit_detail(request, number):
    permit = selectors.permit_dossier(number)
    if permit is None:
        raise Http404(_("No permit with this number."))
    decisions = list(permit.decisions.all())
    for decision in decisions:
        decision.change_rows = change_rows(permit, decision.changes) if decision.changes else ()
    as_of_form = StatusAsOfForm(request.GET if "as_of" in request.GET else None)
    as_of_result, as_of_error, as_of_known_at = None, None, None
    if as_of_form.is_bound:
        if as_of_form.is_valid():
            try:
                as_of_known_at = as_of_form.cleaned_data["known_at"]
                as_of_result = status_as_of(permit, as_of_form.cleaned_data["as_of"], decisions=decisions,
                                            known_at=as_of_known_at)
            except NotStarted:
                as_of_error = _("The permit had not started on that date (it started on %(day)s).") % {
                    "day": permit.starts_on.isoformat()}
        else:
            as_of_error = (_("Enter a date as YYYY-MM-DD.") if "as_of" in as_of_form.errors
                           else _("Enter a date and time, for example 2020-10-07 12:00."))
    current = status_as_of(permit, decisions=decisions) if permit.starts_on <= today() else None
    open_flags = [f for f in permit.flags.all() if f.status == FlagStatus.OPEN]
    for f in open_flags:
        f.form_prefix = f"flag{f.pk}"
    assurance_forms = [
        (a, AssuranceComplianceForm(initial={"compliance": a.compliance, "notes": a.notes},
                                    auto_id=f"assurance{a.pk}_%s"))
        for a in permit.assurances.all()
    ]
    return render(request, "reviews/permit_detail.html", {
        "permit": permit,
        "decisions": decisions,
        "current": current,
        "as_of_form": as_of_form,
        "as_of_result": as_of_result,
        "as_of_error": as_of_error,
        "as_of_known_at": as_of_known_at,
        "timeline": selectors.permit_timeline(permit),
        "open_flags": open_flags,
        "open_reviews": list(selectors.open_reviews([permit.destination_id])) if open_flags else [],
        "assurance_forms": assurance_forms,
        # Auditors (and superusers) read the permit's audit trail here too.
        "history": permit_history(permit) if has_role(request.user, AUDITOR) else None,
    }, status=400 if as_of_form.is_bound and not as_of_form.is_valid() else 200)


# --- Correcting the record: amend and rescind from the dossier ------------------
# Preview, then confirm: the preview shows what would change (before → after),
# or which decision would be voided and the status the permit returns to; the
# confirmation posts the same fields again and the service re-checks all of it
# under the permit lock. Decision makers sign in with TOTP (config/security.py).

_FIELD_LABELS = {
    "valid_until": gettext_lazy("Valid until"), "consignee": gettext_lazy("Consignee"),
    "end_user": gettext_lazy("End user"), "end_use": gettext_lazy("End use"),
}


def change_rows(permit, changes):
    """(label, before, after) for a decision's ``changes``, items named by their description."""
    items = {str(i.pk): i for i in permit.items.all()}
    rows = []
    for key, (before, after) in sorted((changes or {}).items()):
        if key.startswith("items."):
            _prefix, item_id, name = key.split(".", 2)
            item = items.get(item_id)
            what = item.description if item else f"#{item_id}"
            label = (_("Quantity of %(item)s") if name == "quantity" else _("Value of %(item)s")) % {"item": what}
        else:
            label = _FIELD_LABELS.get(key, key)
        rows.append((label, before, after))
    return rows


def _dossier_permit(number):
    permit = Permit.objects.select_related("destination").prefetch_related("items").filter(number=number).first()
    if permit is None:
        raise Http404(_("No permit with this number."))
    return permit


def _correction_page(request, permit, *, kind, form, preview=None, target=None, status=200):
    return render(request, "reviews/permit_correct.html", {
        "permit": permit, "kind": kind, "form": form, "preview": preview, "target": target,
        "returns_to": PermitStatus(target.from_status).label if target is not None else None,
    }, status=status)


def _correct(request, permit, *, kind, form, target=None, **service_args):
    """Preview (no ``confirm`` in the POST) or record the correction; the page or a redirect."""
    c = form.cleaned_data
    arguments = dict(kind=kind, effective_on=c["effective_on"], **service_args)
    try:
        if "confirm" in request.POST:
            register.record_decision(permit=permit, reason=c["reason"], authority=c["authority"],
                                     decided_by=request.user, **arguments)
        else:
            found = register.preview_correction(permit=permit, **arguments)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return _correction_page(request, permit, kind=kind, form=form, target=target,
                                status=400 if isinstance(exc, InvalidInput) else 409)
    if "confirm" in request.POST:
        messages.success(request, _("Permit amended.") if kind == "amend" else _("Decision rescinded."))
        return redirect("permit-detail", number=permit.number)
    if kind == "amend":
        return _correction_page(request, permit, kind=kind, form=form, preview=change_rows(permit, found.diff))
    return _correction_page(request, permit, kind=kind, form=form, preview=True, target=found)


@role_required(DECISION_MAKER)
def permit_amend(request, number):
    permit = _dossier_permit(number)
    if request.method != "POST":
        return _correction_page(request, permit, kind="amend", form=AmendForm(permit=permit))
    form = AmendForm(request.POST, permit=permit)
    if not form.is_valid():
        return _correction_page(request, permit, kind="amend", form=form, status=400)
    return _correct(request, permit, kind="amend", form=form, changes=form.changes())


@role_required(DECISION_MAKER)
def permit_rescind(request, number):
    permit = _dossier_permit(number)
    target = register.latest_standing_decision(permit)
    if request.method != "POST":
        form = RescindForm(initial={"rescinds": target.pk if target else None})
        return _correction_page(request, permit, kind="rescind", form=form, target=target)
    form = RescindForm(request.POST)
    if not form.is_valid():
        return _correction_page(request, permit, kind="rescind", form=form, target=target, status=400)
    return _correct(request, permit, kind="rescind", form=form, target=target,
                    rescinds=form.cleaned_data["rescinds"])


# --- Destinations -------------------------------------------------------------

@role_required(*READ_ROLES)
def destination_list(request):
    q = (request.GET.get("q") or "").strip()[:100]
    if len(q) == 2 and Destination.objects.filter(code=q.upper()).exists():
        return redirect("destination-detail", code=q.upper())
    # Counts per destination shown (index-only), not a join of every permit.
    permits = Permit.objects.filter(destination=OuterRef("pk"))
    destinations = Destination.objects.annotate(
        permit_count=per_row(permits, "destination", Count("*"), 0),
        active_permits=active_permits_count(),
    )
    if q:
        destinations = destinations.filter(Q(name__icontains=q) | Q(code__iexact=q))
    else:
        destinations = destinations.filter(Exists(permits) | Q(open_flags__gt=0))
    return render(request, "reviews/destination_list.html", {
        "destinations": destinations.order_by("name"), "q": q,
    })


def _destination(code):
    code = (code or "").upper()
    destination = Destination.objects.filter(code=code).prefetch_related("measures").first()
    if destination is None:
        raise Http404(_("Unknown country code."))
    return destination


def _destination_page(request, destination, *, evidence_form=None, recorded=None, status=200):
    evidence = list(selectors.destination_evidence(destination)[:50])
    status_counts = selectors.destination_permit_counts(destination)
    paginator = Paginator(selectors.destination_permits(destination), PAGE_SIZE)
    # The per-status counts already add up to the total: do not count the permits twice.
    paginator.count = sum(n for _value, _label, n in status_counts)
    permits_page = paginator.get_page(request.GET.get("page"))
    return render(request, "reviews/destination_detail.html", {
        "destination": destination,
        "measures": measures_in_force(destination),
        "all_measures": list(destination.measures.all()),
        "status_counts": status_counts,
        "permits_page": permits_page,
        "evidence_list": evidence,
        "evidence_form": evidence_form or EvidenceForm(),
        "recorded": recorded,
        "open_review_form": OpenReviewForm(auto_id="review_%s", initial={
            "title": _("Review of permits to %(name)s") % {"name": destination.name}}),
    }, status=status)


@role_required(*READ_ROLES)
def destination_detail(request, code):
    destination = _destination(code)
    recorded = None
    if request.GET.get("recorded", "").isdigit():
        recorded = _progress_context(int(request.GET["recorded"]), destination)
    return _destination_page(request, destination, recorded=recorded)


# The live list after recording evidence shows the most relevant flags; the queue has them all.
PROGRESS_FLAGS = 50


def _progress_context(evidence_id, destination=None):
    evidence = DiversionEvidence.objects.filter(pk=evidence_id).first()
    if evidence is None or (destination is not None and evidence.destination_id != destination.pk):
        return None
    done = evidence.flagging_finished_at is not None
    flags = list(selectors.evidence_flags(evidence.pk)[:PROGRESS_FLAGS]) if done else []
    for f in flags:
        f.form_prefix = f"flag{f.pk}"
    return {
        "evidence": evidence,
        "done": done,
        "flags": flags,
        "more_flags": max(0, evidence.flags_raised - len(flags)),
        "open_reviews": list(selectors.open_reviews([evidence.destination_id])) if flags else [],
        "next": reverse("destination-detail", args=[evidence.destination_id]) + f"?recorded={evidence.pk}#progress",
    }


@require_POST
@role_required(OFFICIAL)
def evidence_record(request, code):
    destination = _destination(code)
    form = EvidenceForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return render(request, "reviews/_evidence_form.html",
                          {"destination": destination, "evidence_form": form}, status=400)
        return _destination_page(request, destination, evidence_form=form, status=400)
    try:
        evidence = services.record_evidence(destination=destination, recorded_by=request.user,
                                            **form.service_fields())
    except InvalidInput as exc:
        for field, errors in exc.errors.items():
            form.add_error(field if field in form.fields else None, errors)
        if request.htmx:
            return render(request, "reviews/_evidence_form.html",
                          {"destination": destination, "evidence_form": form}, status=400)
        return _destination_page(request, destination, evidence_form=form, status=400)
    if request.htmx:
        return render(request, "reviews/_evidence_form.html", {
            "destination": destination, "evidence_form": EvidenceForm(),
            "recorded": _progress_context(evidence.pk),
            "saved_message": _("Evidence saved."),
            "focus_progress": True,
        })
    messages.success(request, _("Evidence saved."))
    return redirect(reverse("destination-detail", args=[destination.pk]) + f"?recorded={evidence.pk}#progress")


@role_required(*READ_ROLES)
def evidence_progress(request, pk):
    recorded = _progress_context(pk)
    if recorded is None:
        raise Http404(_("No such evidence."))
    return render(request, "reviews/_flagging_progress.html", {
        "recorded": recorded, "destination": recorded["evidence"].destination,
    })


# --- One piece of evidence: grades, status, documents ------------------------

def _evidence_or_404(pk):
    evidence = (DiversionEvidence.objects.select_related("destination", "diverted_to", "recorded_by")
                .filter(pk=pk).first())
    if evidence is None:
        raise Http404(_("No such evidence."))
    return evidence


def _evidence_page(request, evidence, *, grade_form=None, attachment_form=None, status=200):
    return render(request, "reviews/evidence_detail.html", {
        "evidence": evidence,
        "open_flags": evidence.flags.filter(status=FlagStatus.OPEN).count(),
        "grade_form": grade_form or EvidenceGradeForm(initial={
            "status": evidence.status, "credibility": evidence.credibility,
            "source_reliability": evidence.source_reliability}),
        "attachments": list(evidence.attachments.select_related("uploaded_by")),
        "attachment_form": attachment_form or AttachmentForm(),
        "upload_url": reverse("evidence-attachments", args=[evidence.pk]),
    }, status=status)


@role_required(*READ_ROLES)
def evidence_detail(request, pk):
    return _evidence_page(request, _evidence_or_404(pk))


@require_POST
@role_required(OFFICIAL)
def evidence_grade(request, pk):
    evidence = _evidence_or_404(pk)
    form = EvidenceGradeForm(request.POST)
    if not form.is_valid():
        return _evidence_page(request, evidence, grade_form=form, status=400)
    try:
        services.update_evidence(evidence=evidence, updated_by=request.user, **form.cleaned_data)
    except InvalidInput as exc:
        for field, errors in exc.errors.items():
            form.add_error(field if field in form.fields else None, errors)
        return _evidence_page(request, evidence, grade_form=form, status=400)
    messages.success(request, _("Evidence updated."))
    # A redirect: the page shows the new grades, the status and the open flags it changed.
    return redirect("evidence-detail", pk=evidence.pk)


def _upload(request, *, owner_page, evidence=None, review=None):
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = attachments.store_attachment(upload=form.cleaned_data["file"], uploaded_by=request.user,
                                                      evidence=evidence, review=review)
        except InvalidInput as exc:
            form.add_error("file", exc.errors.get("file") or _error_text(exc))
        else:
            messages.success(request, _("Document stored. SHA-256: %(hash)s") % {"hash": attachment.sha256})
            return None
    return owner_page(form)


@require_POST
@role_required(OFFICIAL)
def evidence_attachments(request, pk):
    evidence = _evidence_or_404(pk)
    failed = _upload(request, evidence=evidence, owner_page=lambda form: _evidence_page(
        request, evidence, attachment_form=form, status=400))
    return failed or redirect(reverse("evidence-detail", args=[evidence.pk]) + "#documents")


@require_POST
@role_required(OFFICIAL)
def review_attachments(request, pk):
    review = _review_or_404(pk)
    failed = _upload(request, review=review, owner_page=lambda form: _review_page(
        request, review, attachment_form=form, status=400))
    return failed or redirect(reverse("review-detail", args=[review.pk]) + "#documents")


@role_required(*READ_ROLES)
def attachment_download(request, pk):
    from .api.views import attachment_response

    attachment = Attachment.objects.filter(pk=pk).first()
    if attachment is None:
        raise Http404(_("No such document."))
    return attachment_response(attachment)


# --- Reviews ------------------------------------------------------------------

@role_required(*READ_ROLES)
def review_list(request):
    status = request.GET.get("status") or ""
    if status not in {s for s, _l in ReviewStatus.choices}:
        status = ""
    page = Paginator(selectors.review_list(status=status or None), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/review_list.html", {
        "page": page, "status": status, "statuses": ReviewStatus.choices,
    })


@require_POST
@role_required(OFFICIAL)
def review_open(request, code):
    destination = _destination(code)
    form = OpenReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A title is required to open a review."))
        return redirect("destination-detail", code=destination.pk)
    try:
        review = services.open_review(destination=destination, title=form.cleaned_data["title"],
                                      opened_by=request.user)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return redirect("destination-detail", code=destination.pk)
    messages.success(request, _("Review opened."))
    return redirect("review-detail", pk=review.pk)


def _review_or_404(pk):
    review = selectors.review_detail(pk)
    if review is None:
        raise Http404(_("No such review."))
    return review


def _review_page(request, review, *, findings_form=None, recommendation_form=None, decision_form=None,
                 send_back_form=None, attachment_form=None, status=200):
    evidence = list(selectors.review_evidence_choices(review))
    existing = {f.criterion: f for f in review.findings.all()}
    kind = review.recommendation if review.recommendation else None
    return render(request, "reviews/review_detail.html", {
        "review": review,
        "evidence": evidence,
        "findings": existing,
        "finding_rows": [(value, label, existing.get(value)) for value, label in FindingsForm().criteria],
        "findings_form": findings_form or FindingsForm(evidence=evidence, initial_findings=existing),
        "recommendation_form": recommendation_form or RecommendationForm(),
        "decision_form": decision_form or DecisionForm(initial={"kind": kind}),
        "send_back_form": send_back_form or SendBackForm(auto_id="send_back_%s"),
        "decisions": selectors.review_decisions(review),
        "attachments": list(review.attachments.select_related("uploaded_by")),
        "attachment_form": attachment_form or AttachmentForm(),
        "upload_url": reverse("review-attachments", args=[review.pk]),
    }, status=status)


@role_required(*READ_ROLES)
def review_detail(request, pk):
    return _review_page(request, _review_or_404(pk))


@require_POST
@role_required(OFFICIAL)
def review_findings(request, pk):
    review = _review_or_404(pk)
    evidence = list(selectors.review_evidence_choices(review))
    form = FindingsForm(request.POST, evidence=evidence)
    if not form.is_valid():
        return _review_page(request, review, findings_form=form, status=400)
    try:
        services.record_findings(review=review, findings=form.findings(), recorded_by=request.user)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return _review_page(request, review, findings_form=form, status=400 if isinstance(exc, InvalidInput) else 409)
    messages.success(request, _("Findings saved."))
    return redirect(reverse("review-detail", args=[pk]) + "#findings")


@require_POST
@role_required(OFFICIAL)
def review_recommend(request, pk):
    review = _review_or_404(pk)
    form = RecommendationForm(request.POST)
    if not form.is_valid():
        return _review_page(request, review, recommendation_form=form, status=400)
    try:
        services.submit_recommendation(review=review, recommendation=form.cleaned_data["recommendation"],
                                       rationale=form.cleaned_data["rationale"], recommended_by=request.user)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return _review_page(request, review, recommendation_form=form,
                            status=400 if isinstance(exc, InvalidInput) else 409)
    messages.success(request, _("Recommendation submitted to the decision makers."))
    return redirect("review-detail", pk=pk)


@require_POST
@role_required(DECISION_MAKER)
def review_decide(request, pk):
    review = _review_or_404(pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _review_page(request, review, decision_form=form, status=400)
    c = form.cleaned_data
    try:
        _review, result = services.decide_review(
            review=review, kind=c["kind"], reason=c["reason"], authority=c["authority"],
            effective_on=c["effective_on"], decided_by=request.user,
        )
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return _review_page(request, review, decision_form=form,
                            status=400 if isinstance(exc, InvalidInput) else 409)
    if result is None:
        messages.success(request, _("Review closed with no action."))
    else:
        messages.success(request, _("Decision recorded for %(count)s permit(s).") % {"count": result.affected})
        if result.skipped:
            messages.warning(request, _("%(count)s permit(s) left unchanged: the lifecycle does not allow it.")
                             % {"count": len(result.skipped)})
    return redirect("review-detail", pk=pk)




@require_POST
@role_required(DECISION_MAKER)
def review_send_back(request, pk):
    review = _review_or_404(pk)
    form = SendBackForm(request.POST)
    if not form.is_valid():
        return _review_page(request, review, send_back_form=form, status=400)
    try:
        services.send_back_review(review=review, note=form.cleaned_data["note"])
    except DomainError as exc:
        messages.error(request, _error_text(exc))
        return _review_page(request, review, send_back_form=form,
                            status=400 if isinstance(exc, InvalidInput) else 409)
    messages.success(request, _("Review sent back to the officials."))
    return redirect("review-detail", pk=pk)
