"""Import files for tests: CSV and XLSX in the licensing system's export format."""

import csv
import io

from openpyxl import Workbook

HEADER = ["number", "exporter", "exporter_email", "destination", "consignee", "end_user", "end_use",
          "status", "issued_on", "valid_until", "received_on", "currency",
          "control_entry", "description", "quantity", "value"]


def row(number, *, item=1, **overrides):
    cells = {"number": number, "exporter": "L3Harris WESCAM", "exporter_email": "exports@example.com",
             "destination": "TR", "consignee": "Baykar", "end_user": "Turkish Armed Forces",
             "end_use": "UAV sensor payload", "status": "active", "issued_on": "2020-05-12",
             "valid_until": "2022-05-11", "received_on": "", "currency": "CAD",
             "control_entry": "2-15.a", "description": f"Sensor part {item}", "quantity": "7",
             "value": "3500.00"}
    cells.update(overrides)
    return cells


def permits_rows(count, *, items=1, prefix="IMP"):
    return [row(f"{prefix}-{n:05d}", item=i) for n in range(count) for i in range(items)]


def to_csv(rows, header=HEADER):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def to_xlsx(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for cells in rows:
        sheet.append([cells.get(name, "") for name in header])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
