"""Test set-up shared by the whole suite.

Tests run against real PostgreSQL (DATABASE_URL, or the embedded server that
`make test` starts). Tasks run eagerly unless a test asks for a real worker
(the ``celery_worker`` fixture), which runs in its own process against a real
Redis and the test database.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# --- The two database roles ------------------------------------------------
# The test database is created and migrated as the owner role
# (MIGRATE_DATABASE_URL), and every test then runs as the runtime role
# (DATABASE_URL), so the suite shows that the runtime role's grants are
# enough. When both URLs name one role (e.g. a superuser's DATABASE_URL), a
# runtime role for this test database is made here and dropped at the end.

_OWNER = {}


def _role_url(settings_dict):
    from urllib.parse import quote

    auth = quote(settings_dict["USER"] or "", safe="")
    if settings_dict.get("PASSWORD"):
        auth += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = settings_dict["HOST"] or "localhost"
    if host.startswith("/"):
        host = quote(host, safe="")
    return f"postgres://{auth}@{host}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"


def _use(connection, credentials):
    connection.close()
    connection.settings_dict.update(credentials)


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_keepdb,
                    django_db_createdb, django_db_modify_db_settings):
    """pytest-django's documented hook: as its own fixture, but with the owner and the runtime role."""
    import secrets

    import psycopg
    import psycopg.conninfo
    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    from permits.dbroles import CREDENTIALS, TRUNCATE_TRIGGER, grant_runtime_role

    connection = connections["default"]
    runtime = {key: connection.settings_dict.get(key) for key in CREDENTIALS}
    owner = {key: settings.MIGRATE_DATABASE.get(key) for key in CREDENTIALS}
    keepdb = django_db_keepdb and not django_db_createdb
    made_role = None
    with django_db_blocker.unblock():
        _use(connection, owner)
        db_cfg = setup_databases(verbosity=request.config.option.verbose, interactive=False,
                                 keepdb=keepdb, serialized_aliases=set())
        if runtime["USER"] == owner["USER"]:
            made_role = f"{connection.settings_dict['NAME']}_app"[:63]
            password = secrets.token_hex(16)
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [made_role])
                verb = "ALTER" if cursor.fetchone() else "CREATE"
                cursor.execute(f'{verb} ROLE "{made_role}" LOGIN NOSUPERUSER PASSWORD %s', [password])
            runtime = {**owner, "USER": made_role, "PASSWORD": password}
        # `migrate` granted the role of DATABASE_URL already; a made one is granted here.
        tables = grant_runtime_role(connection, runtime["USER"])
        _OWNER["url"] = _role_url(connection.settings_dict)
        _OWNER["role"] = owner["USER"]
        _OWNER["runtime_role"] = runtime["USER"]
        # Processes the tests start (workers, gunicorn, commands) read these:
        # both name the test database, as the owner and as the runtime role.
        saved_environ = {key: os.environ.get(key) for key in ("DATABASE_URL", "MIGRATE_DATABASE_URL")}
        os.environ["MIGRATE_DATABASE_URL"] = _OWNER["url"]
        os.environ["DATABASE_URL"] = _role_url({**connection.settings_dict, **runtime})

    # Transactional tests end with Django's flush, a TRUNCATE of every table:
    # the runtime role may not, and the append-only triggers refuse it. For
    # the test run only, flush through the owner's connection with the
    # TRUNCATE triggers disabled inside the flush's own transaction.
    owner_url = _OWNER["url"].replace("postgres://", "postgresql://", 1)
    test_database = connection.settings_dict["NAME"]
    from django.db.backends.postgresql.operations import DatabaseOperations

    django_flush = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(ops, sql_list):
        # Patched on the class, not on one connection object: a connection made
        # anew later in the run (another thread or context) flushes this way too.
        if ops.connection.settings_dict["NAME"] != test_database:
            return django_flush(ops, sql_list)
        # A connection per flush: a test that ends the server's sessions cannot break the next flush.
        with psycopg.connect(owner_url, autocommit=True) as owner_conn:
            with owner_conn.transaction(), owner_conn.cursor() as cursor:
                for table in tables:
                    cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER {TRUNCATE_TRIGGER}')
                for sql in sql_list:
                    cursor.execute(sql)
                for table in tables:
                    cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER {TRUNCATE_TRIGGER}')

    mp = pytest.MonkeyPatch()
    mp.setattr(DatabaseOperations, "execute_sql_flush", execute_sql_flush)
    with django_db_blocker.unblock():
        _use(connection, runtime)

    yield

    mp.undo()
    for key, value in saved_environ.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    with django_db_blocker.unblock():
        _use(connection, owner)
        if not keepdb:
            try:
                teardown_databases(db_cfg, verbosity=request.config.option.verbose)
                if made_role:  # its grants went with the database
                    params = psycopg.conninfo.conninfo_to_dict(_OWNER["url"])
                    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
                        admin.execute(f'DROP ROLE IF EXISTS "{made_role}"')
            except Exception as exc:
                request.node.warn(pytest.PytestWarning(f"Error when trying to teardown test databases: {exc!r}"))


def owner_database_url():
    """The test database, as the owner role."""
    return _OWNER["url"]


def pytest_configure(config):
    from django.conf import settings

    # Password hashing is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Throttle counters must not leak between tests or runs through a shared Redis.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # WhiteNoise warns on every request when STATIC_ROOT is missing (no collectstatic in tests).
    Path(settings.STATIC_ROOT).mkdir(exist_ok=True)
    # Deployments run collectstatic (manifest storage); tests render pages without a manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Destinations and roles exist in every database test (a flush removes them)."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    transactional = (
        (marker is not None and marker.kwargs.get("transaction"))
        or "transactional_db" in names
        or "live_server" in names
    )
    if marker is None and not transactional and "db" not in names:
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from permits.reference import ensure_reference_data

    ensure_reference_data()
    if transactional:
        _regrant_role_permissions()


# The data migrations that grant the roles their admin permissions. A flush
# (after every transactional test) empties auth_group_permissions, and the
# roles recreated above would have none: order-dependent 403s in the admin.
_GRANTS = (
    ("permits.migrations.0003_audit_b_role_permissions", "grant"),
    ("permits.migrations.0003_audit_c_decision_events", "grant_auditor"),
    ("reviews.migrations.0003_audit_b_role_permissions", "grant"),
)


def _regrant_role_permissions():
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    if Group.objects.filter(name="decision_maker", permissions__isnull=False).exists():
        return
    # The migrations toggle AppConfig.models_module (right for their
    # historical registry); keep the real registry's values.
    saved = {config.label: config.models_module for config in apps.get_app_configs()}
    try:
        for module, function in _GRANTS:
            getattr(importlib.import_module(module), function)(apps, None)
    finally:
        for config in apps.get_app_configs():
            config.models_module = saved[config.label]


@pytest.fixture(autouse=True)
def checkpoint_dir(tmp_path_factory, settings, monkeypatch):
    """Each test writes and reads ledger checkpoint files in a directory of its own
    (subprocesses it starts too): files of other tests' rolled-back decisions
    would otherwise read as a tampered ledger."""
    path = tmp_path_factory.mktemp("checkpoints")
    settings.LEDGER_CHECKPOINT_DIR = path
    monkeypatch.setenv("LEDGER_CHECKPOINT_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    """Throttle counters (per user, failed tokens per address) start at zero in every test.

    Every test client comes from 127.0.0.1: without this, failed token
    attempts of earlier tests would add up to a 429 in a later one.
    """
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _eager_tasks(request):
    from config.celery import app

    eager = "celery_worker" not in request.fixturenames
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _second_factor_on_force_login(request, monkeypatch):
    """``client.force_login`` skips the password, so it skips the second factor too.

    Decision makers and superusers need a verified TOTP device for every page;
    tests that are not about sign-in get one attached by force_login. Tests of
    the sign-in itself use ``@pytest.mark.second_factor`` and sign in for real.
    """
    if request.node.get_closest_marker("second_factor"):
        return
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from config.security import two_factor_required

        if two_factor_required(user):
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="test device", defaults={"confirmed": True}
            )
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_answers(url):
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis: REDIS_URL, else (outside CI) a throwaway redis-server."""
    url = os.environ.get("REDIS_URL")
    if url:
        if not _redis_answers(url):
            pytest.fail(f"REDIS_URL={url} does not answer", pytrace=False)
        yield url
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("CI=true needs REDIS_URL for the worker tests", pytrace=False)
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("no REDIS_URL and no redis-server installed: worker tests skipped")
    port = _free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(50):
        if _redis_answers(url):
            break
        time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(5)


def test_database_url():
    """The URL of the test database pytest-django created."""
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] or ""
    if s.get("PASSWORD"):
        auth += f":{s['PASSWORD']}"
    host = s["HOST"] or "localhost"
    if host.startswith("/"):
        from urllib.parse import quote

        return f"postgres://{auth}@{quote(host, safe='')}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"postgres://{auth}@{host}:{s['PORT'] or 5432}/{s['NAME']}"


test_database_url.__test__ = False


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, redis_url):
    """A real Celery worker process on a real Redis, using the test database."""
    import redis

    from config.celery import app

    redis.Redis.from_url(redis_url).flushdb()
    with django_db_blocker.unblock():
        db_url = test_database_url()
    env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=redis_url, DEBUG="true")
    log = open(ROOT / ".pytest_cache" / "celery-worker.log", "w") if (ROOT / ".pytest_cache").exists() else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "--concurrency=1", "--without-heartbeat", "--without-gossip", "--without-mingle",
         "--loglevel=INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    if app.conf.broker_url != redis_url:
        # Connections already pooled for the settings' broker (memory:// without
        # REDIS_URL) would keep publishing there: drop them before switching.
        app.close()
        app.conf.broker_url = redis_url
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail("the Celery worker exited at start-up", pytrace=False)
        try:
            if app.control.ping(timeout=0.5):
                break
        except Exception:
            pass
        time.sleep(0.3)
    else:
        proc.terminate()
        pytest.fail("the Celery worker did not answer within 30 s", pytrace=False)
    yield proc
    if app.conf.broker_url != previous[0]:
        app.close()
    app.conf.broker_url, app.conf.task_always_eager = previous
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]


@pytest.fixture(scope="session")
def chromium():
    """The system's headless Chromium, driven by Playwright; one for the whole run
    (Playwright's sync API allows one running instance per thread)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI needs {CHROMIUM} for the browser tests", pytrace=False)
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium): browser tests skipped")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def wait_for(predicate, timeout=20.0, interval=0.1):
    """Poll until ``predicate()`` is truthy; return its value or fail."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s", pytrace=False)


@pytest.fixture
def world(db):
    """One active permit to TR with an assurance, evidence and an open flag."""
    from permits.models import Destination
    from reviews import services as review_services
    from tests.factories import AssuranceFactory, EvidenceFactory, PermitFactory

    permit = PermitFactory(number="EXP-2020-00123")
    assurance = AssuranceFactory(permit=permit)
    evidence = EvidenceFactory(title="Downed TB2 carried a CMX-15D")
    review_services.flag_evidence(evidence_id=evidence.pk)
    return {"permit": permit, "assurance": assurance, "evidence": evidence, "flag": permit.flags.get(),
            "destination": Destination.objects.get(code="TR")}


@pytest.fixture
def make_user(db):
    from tests.factories import UserFactory

    def make(role=None, **kwargs):
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def official(make_user):
    return make_user("official", username="official")


@pytest.fixture
def decision_maker(make_user):
    return make_user("decision_maker", username="minister")


@pytest.fixture
def reader(make_user):
    return make_user("reader", username="reader")


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", username="auditor")


@pytest.fixture
def attachments_dir(settings, tmp_path):
    """Attachments stored in a directory of this test's own (the storage alias "attachments")."""
    directory = tmp_path / "attachments"
    settings.STORAGES = {**settings.STORAGES, "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(directory), "base_url": None},
    }}
    return directory
