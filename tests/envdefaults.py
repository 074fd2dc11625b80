"""Loaded by pytest before Django (``-p tests.envdefaults``): test-run defaults.

Tests run over plain HTTP on loopback, so SECURE_HTTPS defaults to false;
a test of the production settings sets its own environment.
"""

import os

os.environ.setdefault("SECURE_HTTPS", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-deployment-0123456789")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
