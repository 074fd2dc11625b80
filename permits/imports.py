"""Import of permits from the licensing system's CSV or XLSX export: all or nothing per file.

One row per item, with the columns of ``POST /api/v1/permits/``; the rows of one
permit share its number (and repeat its permit-level columns). Each permit is
checked by the API's input serializer (types, lengths, the country) and then
by ``services.validate_permit`` (the register's rules): the rules are written
once, and every message is reported against its row and column. A permit
already recorded with the same content is "unchanged"; with other content it
is an error. Nothing is written unless every row is good.
"""

import csv
import datetime as dt
import io
import uuid
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from . import services
from .models import Permit

# Larger exports are split by the licensing system; this bounds memory in the worker.
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
PERMIT_COLUMNS = (
    "number", "exporter", "exporter_email", "destination", "consignee", "end_user", "end_use",
    "status", "issued_on", "valid_until", "received_on", "currency",
)
ITEM_COLUMNS = ("control_entry", "description", "quantity", "value")
COLUMNS = PERMIT_COLUMNS + ITEM_COLUMNS
REQUIRED_COLUMNS = ("number", "exporter", "destination") + ITEM_COLUMNS
XLSX_SIGNATURE = b"PK\x03\x04"


class FileRejected(services.DomainError):
    """The file as a whole cannot be read as an import (HTTP 400 at upload, a failed job later)."""

    def __init__(self, message):
        super().__init__(message)
        self.detail = message


@dataclass
class Row:
    number: int  # the row's number in the file, the header being row 1
    cells: dict


@dataclass
class Plan:
    """What an import would do: permits to create, numbers unchanged, errors (row, column, message)."""

    create: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def result(self, created=()):
        return {
            "created": list(created), "unchanged": self.unchanged,
            "rejected": [{"row": row, "column": column, "message": message}
                         for row, column, message in sorted(self.errors, key=lambda e: (e[0], e[1] or ""))],
        }


def check_upload(data):
    """Refuse at once what is plainly not an import file (FileRejected); the rest is the job's."""
    if not data:
        raise FileRejected(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise FileRejected(_("The file is larger than %(size)s MB.") % {"size": MAX_BYTES // (1024 * 1024)})
    if data.startswith(XLSX_SIGNATURE):
        if not zipfile.is_zipfile(io.BytesIO(data)):
            raise FileRejected(_("Not a CSV (UTF-8) or XLSX file."))
        return "xlsx"
    _decode(data)
    return "csv"


def _decode(data):
    if b"\x00" in data:
        raise FileRejected(_("The file contains NUL bytes: it is not a CSV (UTF-8) or XLSX file."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected(_("Not a CSV (UTF-8) or XLSX file.")) from exc


def read_rows(data):
    """The data rows of a CSV or XLSX file, as Row(number, {column: text or value}).

    Cells are data, never formulas: a CSV cell "=1+2" is those four
    characters, and an XLSX formula is read as its text, not evaluated.
    """
    kind = check_upload(data)
    table = _xlsx_table(data) if kind == "xlsx" else _csv_table(data)
    try:
        header = next(table)
    except StopIteration:
        raise FileRejected(_("The file has no header row.")) from None
    names = [str(name or "").strip().lower() for name in header]
    while names and not names[-1]:
        names.pop()
    unknown = [name for name in names if name not in COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if unknown or missing or len(set(names)) != len(names):
        parts = []
        if unknown:
            parts.append(_("unknown columns: %(names)s") % {"names": ", ".join(n or '""' for n in unknown)})
        if missing:
            parts.append(_("missing columns: %(names)s") % {"names": ", ".join(missing)})
        if len(set(names)) != len(names):
            parts.append(_("a column is repeated"))
        raise FileRejected(_("The header row does not match the import format (%(problems)s).")
                           % {"problems": "; ".join(parts)})
    rows = []
    for index, values in enumerate(table, start=2):
        values = list(values)
        if all(_blank(value) for value in values):
            continue
        if len(rows) >= MAX_ROWS:
            raise FileRejected(_("The file has more than %(rows)s rows.") % {"rows": MAX_ROWS})
        cells = {name: _cell(values[i]) if i < len(values) else "" for i, name in enumerate(names)}
        if any(not _blank(value) for value in values[len(names):]):
            cells["__extra__"] = True
        rows.append(Row(index, cells))
    if not rows:
        raise FileRejected(_("The file has a header but no rows."))
    return rows


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _cell(value):
    """A cell as the API would receive it: text, or a whole number for a whole-number cell."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return int(value) if value.is_integer() else str(Decimal(repr(value)))
    if isinstance(value, int):
        return value
    return str(value).strip()


def _csv_table(data):
    text = _decode(data)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), strict=True)
    except csv.Error as exc:
        raise FileRejected(_("Not a readable CSV file: %(problem)s.") % {"problem": exc}) from exc


def _xlsx_table(data):
    from openpyxl import load_workbook

    try:
        # read_only streams the sheet; keeping formulas (data_only=False) reads a
        # formula as its text, so nothing in the file is ever computed.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise FileRejected(_("Not a readable XLSX file.")) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise FileRejected(_("The workbook has no sheet."))
        try:
            for values in sheet.iter_rows(values_only=True, max_col=len(COLUMNS) + 5):
                yield values
        except FileRejected:
            raise
        except Exception as exc:
            raise FileRejected(_("Not a readable XLSX file.")) from exc
    finally:
        workbook.close()


def plan_import(rows, *, recorded_by, progress=None):
    """Check every row; return the Plan. Writes nothing (reads existing permits once)."""
    from .api.serializers import PermitInput

    plan = Plan()
    groups = {}
    for row in rows:
        groups.setdefault(str(row.cells.get("number", "")).strip(), []).append(row)
    existing = {p.number: p for p in Permit.objects.filter(number__in=list(groups)).select_related(
        "destination").prefetch_related("items")}
    done = 0
    for number, group in groups.items():
        payload, errors = _payload(group)
        if not errors:
            serializer = PermitInput(data=payload)
            if serializer.is_valid():
                try:
                    cleaned = services.validate_permit(recorded_by=recorded_by, check_number=False,
                                                       **dict(serializer.validated_data))
                except services.InvalidInput as exc:
                    errors = _locate(group, exc.errors)
                else:
                    permit = existing.get(cleaned["number"])
                    if permit is None:
                        plan.create.append(cleaned)
                    elif _same(permit, cleaned):
                        plan.unchanged.append(cleaned["number"])
                    else:
                        errors = [(group[0].number, "number", _(
                            "Permit %(number)s is already recorded with other content.") % {"number": number})]
            else:
                errors = _locate(group, serializer.errors)
        plan.errors.extend(errors)
        done += len(group)
        if progress:
            progress(done, len(rows))
    return plan


def _payload(group):
    """The API body for one permit's rows, or errors where its rows disagree."""
    first, errors = group[0], []
    for row in group:
        if row.cells.get("__extra__"):
            errors.append((row.number, None, _("The row has more cells than the header has columns.")))
        for column in PERMIT_COLUMNS:
            if row is not first and column in row.cells and row.cells[column] != first.cells.get(column, ""):
                errors.append((row.number, column, _(
                    "Differs from row %(row)s of the same permit number.") % {"row": first.number}))
    payload = {column: first.cells[column] for column in PERMIT_COLUMNS
               if column in first.cells and first.cells[column] != ""}
    payload["items"] = [{column: row.cells.get(column, "") for column in ITEM_COLUMNS} for row in group]
    return payload, errors


def _locate(group, errors):
    """(row, column, message) for a permit's errors: permit-level on its first row, items on their own."""
    located = []
    for column, messages in errors.items():
        # Per-item errors come as a list (one dict per item) or as {index: dict}.
        per_item = None
        if column == "items" and isinstance(messages, dict):
            per_item = messages.items()
        elif column == "items" and messages and all(isinstance(m, dict) for m in messages):
            per_item = enumerate(messages)
        if per_item is not None:
            for index, item_errors in per_item:
                if not (isinstance(index, int) and 0 <= index < len(group)):
                    continue
                for item_column, item_messages in (item_errors or {}).items():
                    located.extend((group[index].number, item_column, str(m)) for m in _flat(item_messages))
            continue
        column_name = column if column in COLUMNS else None
        located.extend((group[0].number, column_name, str(m)) for m in _flat(messages))
    return located


def _flat(messages):
    if isinstance(messages, (list, tuple)):
        for message in messages:
            yield from _flat(message)
    elif isinstance(messages, dict):
        for value in messages.values():
            yield from _flat(value)
    else:
        yield messages


def _same(permit, cleaned):
    """Is the recorded permit the one this file describes? (Its status may have moved on since.)"""
    facts = ("exporter", "exporter_email", "consignee", "end_user", "end_use", "currency",
             "issued_on", "valid_until")
    if any(getattr(permit, name) != cleaned[name] for name in facts):
        return False
    if permit.destination_id != cleaned["destination"].pk:
        return False
    recorded = sorted((i.control_entry, i.description, i.quantity, i.value) for i in permit.items.all())
    given = sorted((i["control_entry"], i["description"], i["quantity"], i["value"]) for i in cleaned["items"])
    return recorded == given


def apply_plan(plan, *, recorded_by):
    """Record the planned permits (one transaction); return the import's result."""
    created = services.record_permits(permits=plan.create, recorded_by=recorded_by, batch=uuid.uuid4()) \
        if plan.create else []
    return plan.result(created=[p.number for p in created])


def import_file(data, *, recorded_by, progress=None):
    """Read, check and record a file in one go (the command's path); raise ImportRejected on any error."""
    from .jobs.services import JobRejected

    plan = plan_import(read_rows(data), recorded_by=recorded_by, progress=progress)
    if plan.errors:
        raise JobRejected(rejected_message(plan), plan.result())
    return apply_plan(plan, recorded_by=recorded_by)


def rejected_message(plan):
    rows = len({row for row, _column, _message in plan.errors})
    return _("%(rows)s row(s) of the file were rejected; nothing was recorded.") % {"rows": rows}


def run_import_job(job, progress):
    """The job's work: read and check outside the transaction (progress shows), then apply in it."""
    from .jobs.services import JobRejected

    data = bytes(job.payload or b"")
    rows = read_rows(data)
    progress(0, len(rows))
    plan = plan_import(rows, recorded_by=job.created_by, progress=progress)
    if plan.errors:
        raise JobRejected(rejected_message(plan), plan.result())
    return lambda: apply_plan(plan, recorded_by=job.created_by)
