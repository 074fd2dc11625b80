"""A Redis the test owns (it can stop and start it) and workers it can kill."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, test_database_url



def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_answers(url):
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
    except Exception:
        return False


class RedisServer:
    """A throwaway redis-server on its own port that a test may stop and restart."""

    def __init__(self, binary, port):
        self.binary, self.port, self.proc = binary, port, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 10
        while not redis_answers(self.url):
            if time.time() > deadline:
                pytest.fail(f"redis-server on port {self.port} did not start", pytrace=False)
            time.sleep(0.05)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def own_redis():
    binary = shutil.which("redis-server")
    if not binary:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true needs redis-server on PATH for the broker-outage tests", pytrace=False)
        pytest.skip("redis-server is not installed")
    server = RedisServer(binary, free_port())
    server.start()
    yield server
    server.stop()


def reset_connections(app):
    """Forget pooled connections (and remote control's producers) to the previous broker.

    Only references are dropped: the pools themselves are kombu's process-wide
    ones, shared with anything else that talks to the same broker, so closing
    them would break it. (Nor ``app.close()``: that also unregisters the app.)
    """
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    app.control.mailbox.__dict__.pop("producer_pool", None)


@pytest.fixture
def broker(own_redis, transactional_db):
    """Point this process's Celery app at ``own_redis``; tasks are really queued."""
    from config.celery import app
    from reviews import services

    previous = (app.conf.broker_url, app.conf.task_always_eager)
    reset_connections(app)
    app.conf.broker_url = own_redis.url
    app.conf.task_always_eager = False
    services.reset_broker_backoff()
    yield own_redis
    reset_connections(app)
    app.conf.broker_url, app.conf.task_always_eager = previous
    services.reset_broker_backoff()


class Worker:
    def __init__(self, proc, log_path):
        self.proc, self.log_path = proc, log_path

    def log(self):
        return Path(self.log_path).read_text(errors="replace")

    def kill(self):
        """SIGKILL: no clean-up, no acknowledgement, nothing handed back."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def start_worker(broker, tmp_path):
    """Start real worker processes (solo pool) on ``broker`` against the test database."""
    from config.celery import app

    workers = []
    db_url = test_database_url()

    def start(app_module="config", wait=True):
        log_path = tmp_path / f"worker-{len(workers)}.log"
        env = dict(os.environ, DATABASE_URL=db_url, REDIS_URL=broker.url, DEBUG="true")
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", app_module, "worker", "--pool=solo",
             "--concurrency=1", "--without-heartbeat", "--without-gossip", "--without-mingle",
             "--loglevel=INFO", "-n", f"w{len(workers)}-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
        )
        worker = Worker(proc, log_path)
        workers.append(worker)
        if wait:
            deadline = time.time() + 30
            while "ready." not in worker.log():
                if proc.poll() is not None:
                    pytest.fail(f"the worker exited at start-up:\n{worker.log()}", pytrace=False)
                if time.time() > deadline:
                    pytest.fail(f"the worker was not ready within 30 s:\n{worker.log()}", pytrace=False)
                time.sleep(0.2)
        return worker

    yield start
    for worker in workers:
        worker.stop()
