"""The baseline for the status API: one query, one row, JSON out, nothing else."""

from django.db import connection
from django.http import Http404, JsonResponse


def baseline_status(request, number):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT number, status, starts_on FROM permits_permit WHERE number = %s", [number]
        )
        row = cursor.fetchone()
    if row is None:
        raise Http404
    return JsonResponse({"number": row[0], "status": row[1], "since": row[2].isoformat()})
