"""Loaded by pytest before Django (``-p tests.envdefaults``): test-run defaults.

Tests run over plain HTTP on loopback, so SECURE_HTTPS defaults to false;
a test of the production settings sets its own environment.
"""

import os

os.environ.setdefault("SECURE_HTTPS", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-deployment-0123456789")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Webhook retries start at 1 s (30 s in a deployment), so that a test of a
# failing receiver, worker included, takes seconds.
os.environ.setdefault("WEBHOOK_RETRY_BASE_SECONDS", "1")


def _ledger_defaults():
    """A signing key for this run, and a scratch directory for checkpoint files
    (each test gets its own, see tests/conftest.py)."""
    import atexit
    import base64
    import shutil
    import tempfile

    if not os.environ.get("LEDGER_SIGNING_KEY"):
        os.environ["LEDGER_SIGNING_KEY"] = base64.b64encode(os.urandom(32)).decode()
    if not os.environ.get("LEDGER_CHECKPOINT_DIR"):
        scratch = tempfile.mkdtemp(prefix="ledger-checkpoints-")
        atexit.register(shutil.rmtree, scratch, True)
        os.environ["LEDGER_CHECKPOINT_DIR"] = scratch


_ledger_defaults()


def _throwaway_redis():
    """Without REDIS_URL (outside CI), a throwaway redis-server for this run, if installed.

    It is started here, before Django reads its settings, so that the test
    process and the worker tests' Celery worker use the same broker from the
    start, as they do with REDIS_URL set (CI). Stopped when the run ends.
    """
    import atexit
    import shutil
    import socket
    import subprocess
    import time

    if os.environ.get("REDIS_URL") or os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        return
    server = shutil.which("redis-server")
    if not server:
        return  # the worker tests skip, saying why
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    atexit.register(lambda: (proc.terminate(), proc.wait(5)))
    for _ in range(50):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"


_throwaway_redis()
