"""Import permits from a CSV or XLSX export of the licensing system, with a progress bar.

The same as ``POST /api/v1/permits/import/``: every row is checked first and
every error listed against its row and column; nothing is written unless the
whole file is good; a permit already recorded with the same content is
unchanged, so importing a file twice changes nothing. ``--as USERNAME`` names
the official recorded as issuing the file's active permits (the ledger always
names a person).
"""

import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from permits import imports
from permits.jobs.services import JobRejected
from permits.core.roles import OFFICIAL, has_role


class Command(BaseCommand):
    help = "Import permits from a CSV or XLSX file (all or nothing), showing progress."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of a .csv (UTF-8) or .xlsx file; '-' reads standard input")
        parser.add_argument("--as", dest="username", required=True, metavar="USERNAME",
                            help="the official who records the permits")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (e.g. in cron)")

    def handle(self, *args, file, username, no_progress, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None or not has_role(user, OFFICIAL):
            raise CommandError(f"{username!r} is not an active official.")
        data = self._read(file)
        bar = tqdm(total=0, unit="row", disable=no_progress, file=sys.stderr)

        def progress(done, total):
            bar.total = total
            bar.update(done - bar.n)

        try:
            with transaction.atomic():
                result = imports.import_file(data, recorded_by=user, progress=progress)
        except imports.FileRejected as exc:
            raise CommandError(exc.detail) from exc
        except JobRejected as exc:
            bar.close()
            for problem in exc.result["rejected"]:
                column = problem["column"] or "-"
                self.stderr.write(f"row {problem['row']}, {column}: {problem['message']}")
            raise CommandError(exc.detail) from exc
        bar.close()
        self.stdout.write(f"created {len(result['created'])}, unchanged {len(result['unchanged'])}")
        for number in result["created"]:
            self.stdout.write(f"created {number}")
        for number in result["unchanged"]:
            self.stdout.write(f"unchanged {number}")

    def _read(self, path):
        try:
            if path == "-":
                data = sys.stdin.buffer.read(imports.MAX_BYTES + 1)
            else:
                with open(path, "rb") as handle:
                    data = handle.read(imports.MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        return data
