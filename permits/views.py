"""The permit register's pages: search, CSV export and assurance compliance.

The dossier and the destination page show flags and reviews, so they are
composed on the reviews side (permits never imports reviews).
"""

import csv
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, Sum
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import AssuranceComplianceForm, PermitSearchForm
from .matching import entry_q
from .models import EndUseAssurance, PermitItem
from .roles import AUDITOR, DECISION_MAKER, OFFICIAL, READER, has_role
from .selectors import permit_list_queryset

READ_ROLES = (OFFICIAL, DECISION_MAKER, READER, AUDITOR)
PAGE_SIZE = 25


def role_required(*roles):
    """Signed-out visitors go to the sign-in page; signed-in users without the role get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def safe_next(request, default):
    """A same-site path to go back to after a POST, never an outside URL."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def search_permits(data):
    """The filtered queryset for a bound PermitSearchForm (or None if invalid)."""
    form = PermitSearchForm(data)
    permits = permit_list_queryset().annotate(total_value=Sum("items__value"))
    if not form.is_valid():
        return form, permits.none()
    c = form.cleaned_data
    if c["q"]:
        q = c["q"].strip()
        permits = permits.filter(
            Q(number__icontains=q) | Q(exporter__icontains=q) | Q(consignee__icontains=q)
            | Q(end_user__icontains=q)
            | Exists(PermitItem.objects.filter(permit=OuterRef("pk"), description__icontains=q))
        )
    if c["destination"]:
        permits = permits.filter(destination_id=c["destination"])
    if c["status"]:
        permits = permits.filter(status=c["status"])
    if c["control_entry"]:
        permits = permits.filter(
            Exists(PermitItem.objects.filter(entry_q(c["control_entry"]), permit=OuterRef("pk")))
        )
    if c["flagged"] == "true":
        permits = permits.filter(open_flags__gt=0)
    elif c["flagged"] == "false":
        permits = permits.filter(open_flags=0)
    return form, permits.order_by("-starts_on", "number")


@role_required(*READ_ROLES)
def permit_search(request):
    form, permits = search_permits(request.GET)
    page = Paginator(permits, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "permits/search.html", {
        "form": form, "page": page, "query": query.urlencode(),
    })


# Characters that make a spreadsheet read a cell as a formula (with their full-width forms,
# which some spreadsheets also accept), looked for after any leading blanks.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def csv_cell(value):
    """Text that a spreadsheet would run as a formula is made inert with a leading apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) or text.lstrip(" \u00a0").startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


@role_required(*READ_ROLES)
def permit_export(request):
    form, permits = search_permits(request.GET)
    header = [
        "number", "status", "destination", "exporter", "consignee", "end_user", "end_use",
        "issued_on", "valid_until", "control_entries", "items", "total_value", "currency", "open_flags",
    ]

    def rows():
        writer = csv.writer(_Echo())
        yield writer.writerow(header)
        for p in permits.iterator(chunk_size=500):
            items = list(p.items.all())
            yield writer.writerow([csv_cell(v) for v in (
                p.number, p.status, p.destination_id, p.exporter, p.consignee, p.end_user, p.end_use,
                p.issued_on, p.valid_until, "; ".join(i.control_entry for i in items),
                "; ".join(f"{i.quantity} × {i.description}" for i in items),
                p.total_value, p.currency, p.open_flags,
            )])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="permits.csv"'
    return response


@require_POST
@role_required(OFFICIAL)
def assurance_update(request, number, pk):
    assurance = get_object_or_404(EndUseAssurance.objects.select_related("permit"), pk=pk,
                                  permit__number=number)
    form = AssuranceComplianceForm(request.POST)
    target = safe_next(request, reverse("permit-detail", args=[number]) + f"#assurance-{pk}")
    if form.is_valid():
        try:
            services.update_assurance(assurance=assurance, compliance=form.cleaned_data["compliance"],
                                      notes=form.cleaned_data["notes"])
        except services.InvalidInput as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Assurance compliance saved."))
    else:
        messages.error(request, _("Choose a compliance status."))
    return redirect(target)


