from django.core.management.base import BaseCommand, CommandError

from permits import ledger


class Command(BaseCommand):
    help = "Recompute the decision ledger's hash chain; exit non-zero at the first broken decision."

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=2000)

    def handle(self, *args, chunk_size, **options):
        if chunk_size < 1:
            raise CommandError("--chunk-size must be a positive whole number")
        count, head, broken = ledger.verify_chain(chunk_size=chunk_size)
        if broken:
            raise CommandError(
                f"Decision ledger BROKEN at decision {broken.decision_id}: {broken.why} "
                f"({count} decisions before it verified)."
            )
        self.stdout.write(f"Decision ledger verified: {count} decisions, head {head}.")
