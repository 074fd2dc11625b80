from django.core.management.base import BaseCommand

from permits import checkpoints


class Command(BaseCommand):
    help = (
        "Print the public key that signs the decision ledger's checkpoints (base64 of the raw "
        "32 bytes) and its key_id (SHA-256 hex of those bytes). With --generate, print a new "
        "private key for LEDGER_SIGNING_KEY instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--generate", action="store_true",
                            help="print a new random private key (base64) for LEDGER_SIGNING_KEY")

    def handle(self, *args, generate, **options):
        if generate:
            self.stdout.write(checkpoints.generate_private_key_b64())
            return
        self.stdout.write(f"public_key: {checkpoints.public_key_b64()}")
        self.stdout.write(f"key_id: {checkpoints.key_id()}")
