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
from django.db import transaction
from django.db.models import OuterRef, Sum
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import imports, selectors, services
from .core.http import role_required, safe_next  # noqa: F401 (the pages' role gate)
from .forms import AssuranceComplianceForm, ImportForm, ItemFormSet, PermitForm, PermitSearchForm
from .jobs.selectors import visible_jobs
from .jobs.services import start_job
from .models import EndUseAssurance, JobKind, PermitItem
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




# --- Recording a permit, importing a file, watching a job (officials) ------------

MAX_ITEM_ROWS = 200


@role_required(OFFICIAL)
def permit_new(request):
    """Record an application (pending) or an issued permit with its items.

    Rows of items are added and removed by plain submit buttons (no script
    needed); the register's rules are ``services.create_permit``'s, and its
    messages go back onto the fields they name.
    """
    if request.method != "POST":
        form, items = PermitForm(), ItemFormSet(prefix="items", initial=[{}])
        return _permit_form_page(request, form, items, show_errors=False)
    data = request.POST
    if "add_item" in data or "remove_item" in data:
        # Not a submission yet: the page again, unbound (no errors), with the rows as changed.
        rows = _resized_items(data, add="add_item" in data, remove=data.get("remove_item"))
        form = PermitForm(initial={name: data.get(name) for name in PermitForm.base_fields})
        items = ItemFormSet(prefix="items", initial=rows)
        return _permit_form_page(request, form, items, show_errors=False)
    form, items = PermitForm(data), ItemFormSet(data, prefix="items")
    if form.is_valid() and items.is_valid():
        live = [f for f in items.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        fields = {**form.cleaned_data, "destination": form.cleaned_data["destination"]}
        fields["received_on"] = fields["received_on"] or None
        try:
            permit = services.create_permit(
                recorded_by=request.user,
                items=[{k: f.cleaned_data[k] for k in ("control_entry", "description", "quantity", "value")}
                       for f in live],
                **fields,
            )
        except services.InvalidInput as exc:
            _errors_onto_form(exc.errors, form, live)
        else:
            messages.success(request, _("Permit %(number)s recorded.") % {"number": permit.number})
            # The register does not refuse a permit a measure covers: the official is told, and decides.
            for text in selectors.measure_warnings(permit):
                messages.warning(request, text)
            return redirect("permit-detail", permit.number)
    return _permit_form_page(request, form, items, show_errors=True, status=400)


def _resized_items(data, *, add, remove):
    """The posted item rows, with one more blank row, or without row ``remove``."""
    try:
        total = max(0, min(int(data.get("items-TOTAL_FORMS", "1")), MAX_ITEM_ROWS))
    except ValueError:
        total = 1
    names = ("control_entry", "description", "quantity", "value")
    rows = [{name: data.get(f"items-{i}-{name}", "") for name in names} for i in range(total)]
    if remove is not None and str(remove).isdigit() and int(remove) < len(rows) and len(rows) > 1:
        rows.pop(int(remove))
    if add and len(rows) < MAX_ITEM_ROWS:
        rows.append({name: "" for name in names})
    return rows or [{name: "" for name in names}]


def _errors_onto_form(errors, form, item_forms):
    for name, messages_ in errors.items():
        if name == "items" and messages_ and all(isinstance(m, dict) for m in messages_):
            for item_form, item_errors in zip(item_forms, messages_):
                for item_name, item_messages in item_errors.items():
                    for message in item_messages:
                        item_form.add_error(item_name if item_name in item_form.fields else None, message)
            continue
        for message in messages_:
            form.add_error(name if name in form.fields else None, str(message))


def _error_summary(form, items):
    """(anchor or None, message) for every error, in page order: the GOV.UK error summary."""
    problems = [(None, str(m)) for m in form.non_field_errors()]
    problems += [(f"#{form[name].id_for_label}", str(m)) for name in form.fields for m in form.errors.get(name, ())]
    problems += [(None, str(m)) for m in items.non_form_errors()]
    for index, item in enumerate(items.forms, start=1):
        for name in item.fields:
            for message in item.errors.get(name, ()):
                label = _("Item %(n)s: %(field)s") % {"n": index, "field": item.fields[name].label}
                problems.append((f"#{item[name].id_for_label}", f"{label} — {message}"))
        problems += [(None, str(m)) for m in item.non_field_errors()]
    return problems


def _permit_form_page(request, form, items, *, show_errors, status=200):
    problems = _error_summary(form, items) if show_errors else []
    return render(request, "permits/permit_new.html", {
        "form": form, "items": items, "problems": problems, "max_items": MAX_ITEM_ROWS,
    }, status=status)


@role_required(OFFICIAL)
def permit_import(request):
    """Upload a CSV or XLSX export; the import runs as a job whose page shows its progress."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > imports.MAX_BYTES:
                raise imports.FileRejected(_("The file is larger than %(size)s MB.")
                                           % {"size": imports.MAX_BYTES // (1024 * 1024)})
            data = upload.read()
            imports.check_upload(data)
        except imports.FileRejected as exc:
            form.add_error("file", exc.detail)
        else:
            with transaction.atomic():
                job = start_job(kind=JobKind.IMPORT_PERMITS, created_by=request.user, payload=data,
                                params={"filename": str(upload.name or "")[:200]})
            return redirect("job-detail", job.pk)
    problems = [(f"#{form[name].id_for_label}", str(m)) for name in form.fields for m in form.errors.get(name, ())]
    return render(request, "permits/permit_import.html", {
        "form": form, "problems": problems, "columns": imports.COLUMNS, "required": imports.REQUIRED_COLUMNS,
        "max_mb": imports.MAX_BYTES // (1024 * 1024),
    }, status=400 if form.errors else 200)


@role_required(*READ_ROLES)
def job_detail(request, pk):
    """A job's progress and result; polled by htmx (the fragment alone) until it finishes."""
    job = get_object_or_404(visible_jobs(request.user), pk=pk)
    template = "permits/_job_progress.html" if getattr(request, "htmx", False) else "permits/job_detail.html"
    return render(request, template, {"job": job})
