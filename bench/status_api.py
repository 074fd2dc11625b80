"""Figure 4: GET /api/v1/permits/{number}/status/ under load, vs a bare Django view.

Both are served by one gunicorn (the product's settings plus the baseline's
URL, bench.settings), driven by wrk at 32 connections for 20 s over random
permit numbers; the API with a reader's token.
"""

import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .common import Figure, median, raw

ROOT = Path(__file__).resolve().parent.parent
API_PREFIX = "/api/v1/permits/"
BASELINE_PREFIX = "/bench/baseline/permits/"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reader_token():
    """A reader's token through the contract's command (last line of its output)."""
    from django.contrib.auth.models import Group, User

    user, _ = User.objects.get_or_create(username="bench-reader")
    user.groups.add(Group.objects.get(name="reader"))
    out = subprocess.run([sys.executable, "manage.py", "create_api_token", "bench-reader"], cwd=ROOT,
                         capture_output=True, text=True, env=os.environ)
    if out.returncode != 0:
        raise RuntimeError(f"create_api_token failed: {out.stderr.strip()[-300:]}")
    return out.stdout.strip().splitlines()[-1].strip()


def numbers_file(path, count=20_000):
    with raw() as conn, conn.cursor() as cur:
        cur.execute("SELECT number FROM permits_permit TABLESAMPLE SYSTEM (5) LIMIT %s", [count])
        numbers = [r[0] for r in cur.fetchall()]
    random.shuffle(numbers)
    path.write_text("\n".join(numbers) + "\n")
    return numbers


def start_gunicorn(port, log_path, workers):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.settings")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--access-logfile", "-" if False else "/dev/null",
         "--error-logfile", str(log_path)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except Exception:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start-up (see {log_path})")
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("gunicorn did not answer within 30 s")


def check(port, prefix, number, token):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{prefix}{number}/status/")
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def wrk(port, prefix, token, numbers_path, seconds, connections=32, threads=2):
    env = dict(os.environ, BENCH_NUMBERS=str(numbers_path), BENCH_PREFIX=prefix, BENCH_TOKEN=token or "")
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
         "-s", str(ROOT / "bench" / "status.lua"), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, env=env, timeout=seconds + 60,
    )
    match = re.search(r"^BENCH (\{.*\})$", out.stdout, re.M)
    if not match:
        raise RuntimeError(f"wrk gave no result: {out.stdout[-500:]} {out.stderr[-500:]}")
    data = json.loads(match.group(1))
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def run(runs=3, seconds=20, workers=None, out_dir=ROOT / "bench" / "out"):
    if not shutil.which("wrk"):
        return [Figure("4", "status API", None, "req/s", note="wrk is not installed (apt-get install -y wrk)")]
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        token = reader_token()
    except Exception as exc:  # the API is not there yet
        return [Figure("4", "status API", None, "req/s", note=f"not run: {exc}")]
    numbers_path = out_dir / "numbers.txt"
    numbers = numbers_file(numbers_path)
    port = _free_port()
    workers = workers or int(os.environ.get("BENCH_GUNICORN_WORKERS", "3"))
    server = start_gunicorn(port, out_dir / "gunicorn.log", workers)
    try:
        status, body = check(port, API_PREFIX, numbers[0], token)
        if status != 200:
            return [Figure("4", "status API", None, "req/s",
                           note=f"not run: GET {API_PREFIX}{numbers[0]}/status/ answered {status}")]
        status, _ = check(port, API_PREFIX, numbers[0], None)
        if status not in (401, 403):
            raise RuntimeError(f"the status API answered {status} without a token")
        api, base = [], []
        wrk(port, API_PREFIX, token, numbers_path, 3)  # warm-up: connections, caches
        wrk(port, BASELINE_PREFIX, None, numbers_path, 3)
        for i in range(runs):
            api.append(wrk(port, API_PREFIX, token, numbers_path, seconds))
            base.append(wrk(port, BASELINE_PREFIX, None, numbers_path, seconds))
            print(f"    run {i + 1}: API {api[-1]['rps']:.0f} req/s p99 {api[-1]['p99_us'] / 1000:.1f} ms; "
                  f"baseline {base[-1]['rps']:.0f} req/s p99 {base[-1]['p99_us'] / 1000:.1f} ms", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    bad = sum(r["errors"] + r["status"] for r in api)
    rps = Figure("4a", f"status API throughput (wrk, 32 connections, {seconds} s, gunicorn {workers} workers)",
                 median([r["rps"] for r in api]), "req/s", median([r["rps"] for r in base]),
                 "bare Django view, one query", "≥ 0.6 × baseline", runs=[r["rps"] for r in api],
                 baseline_runs=[r["rps"] for r in base], note=f"{bad} errors / non-2xx")
    rps.met = rps.ratio is not None and rps.ratio >= 0.6 and bad == 0
    p50 = Figure("4b", "status API latency p50", median([r["p50_us"] / 1000 for r in api]), "ms",
                 median([r["p50_us"] / 1000 for r in base]), "bare view", "",
                 runs=[r["p50_us"] / 1000 for r in api])
    p99 = Figure("4c", "status API latency p99", median([r["p99_us"] / 1000 for r in api]), "ms",
                 median([r["p99_us"] / 1000 for r in base]), "bare view", "p99 < 50 ms",
                 runs=[r["p99_us"] / 1000 for r in api])
    p99.met = p99.value is not None and p99.value < 50
    return [rps, p50, p99]
