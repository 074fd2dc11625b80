from django.core.management.base import BaseCommand, CommandError

from permits import checkpoints

# After a truncation every checkpoint fails: the first ones say enough.
MAX_LISTED = 50


class Command(BaseCommand):
    help = (
        "Check the decision ledger: its hash chain, every signed checkpoint (database, "
        "LEDGER_CHECKPOINT_DIR and each --checkpoint FILE) and that each is a prefix of "
        "today's chain, every permit's status against its decisions, and every decision "
        "against the audit trail. Exit non-zero naming the first decision that differs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=2000)
        parser.add_argument(
            "--checkpoint", action="append", default=[], metavar="FILE", dest="checkpoint_files",
            help="a saved answer of GET /api/v1/ledger/head/ (a witness's copy); may be repeated",
        )

    def handle(self, *args, chunk_size, checkpoint_files, **options):
        if chunk_size < 1:
            raise CommandError("--chunk-size must be a positive whole number")
        report = checkpoints.verify_ledger(checkpoint_files=checkpoint_files, chunk_size=chunk_size)
        if not report.ok:
            first = report.first_differing
            where = f"at decision {first}" if first is not None else "(no single decision named)"
            listed = [f"- {problem.message}" for problem in report.problems[:MAX_LISTED]]
            if len(report.problems) > MAX_LISTED:
                listed.append(f"- … and {len(report.problems) - MAX_LISTED} more")
            raise CommandError("\n".join([
                f"Decision ledger BROKEN {where}: {len(report.problems)} problem(s). "
                f"{report.count} decisions recomputed, {report.checkpoints} signed checkpoint(s) checked.",
                *listed,
            ]))
        self.stdout.write(
            f"Decision ledger verified: {report.count} decisions, head {report.head}; "
            f"{report.checkpoints} signed checkpoint(s) agree; statuses and audit trail agree."
        )
