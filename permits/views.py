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
from django.db.models import OuterRef, Sum
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .core.http import role_required, safe_next  # noqa: F401 (the pages' role gate)
from .forms import AssuranceComplianceForm, PermitSearchForm
from .models import EndUseAssurance, PermitItem
from .core.roles import OFFICIAL, READ_ROLES, has_role
from .selectors import permit_list_queryset

PAGE_SIZE = 25


def search_permits(data):
    """(bound PermitSearchForm, the filtered queryset, the filters; None when the form is invalid).

    The filters are the register's own (``selectors.search_permits``, each
    served by an index, shared with the API); the total value is a per-row
    subquery, so that counting the matches does not join every item.
    """
    form = PermitSearchForm(data)
    total_value = selectors.per_row(PermitItem.objects.filter(permit=OuterRef("pk")), "permit", Sum("value"))
    permits = permit_list_queryset().annotate(total_value=total_value)
    if not form.is_valid():
        return form, permits.none(), None
    c = form.cleaned_data
    filters = {
        "q": (c["q"] or "").strip() or None, "destination": c["destination"] or None,
        "status": c["status"] or None, "control_entry": c["control_entry"] or None,
        "flagged": {"true": True, "false": False}.get(c["flagged"]),
    }
    return form, selectors.search_permits(permits, **filters).order_by("-starts_on", "number"), filters


@role_required(*READ_ROLES)
def permit_search(request):
    form, permits, filters = search_permits(request.GET)
    paginator = Paginator(permits, PAGE_SIZE)
    count = selectors.search_count(**filters) if filters else None
    if count is not None:
        paginator.count = count
    page = paginator.get_page(request.GET.get("page"))
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
    form, permits, _filters = search_permits(request.GET)
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
                p.number, p.status_today, p.destination_id, p.exporter, p.consignee, p.end_user, p.end_use,
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


