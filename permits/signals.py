"""What the register announces to the apps built on it.

``permits`` never imports ``reviews`` (house rule 2), yet a permit that becomes
live must meet the evidence already recorded on its destination. A Django
signal is the smallest sound inversion: the register says *that* permits
became live, after commit, and whoever listens (reviews' AppConfig.ready)
decides what to do; a listener's failure never undoes or breaks the write
(``send_robust``). The signal carries ids only; listeners re-read the state.
"""

from django.db import transaction
from django.dispatch import Signal

# Sent with ``permit_ids`` (a list) once the transaction that created or
# issued those permits has committed.
permits_became_live = Signal()


def announce_live_after_commit(permit_ids):
    ids = sorted(set(permit_ids))
    if ids:
        transaction.on_commit(lambda: permits_became_live.send_robust(sender=None, permit_ids=ids))
