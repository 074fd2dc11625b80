"""gunicorn's access log (config/gunicorn.py) records no query strings, referers' queries or reset tokens."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

from tests.conftest import ROOT

SECRET = "s3cr3t-query-value"
RESET_TOKEN = "c5x-0123456789abcdef0123456789abcdef"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, **headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # nosec B310 (loopback test)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_access_log_has_paths_but_no_queries_referer_queries_or_reset_tokens(tmp_path):
    port = _free_port()
    log = tmp_path / "access.log"
    # DEBUG: pages render without collectstatic's manifest (the log lines are the same).
    env = dict(os.environ, DEBUG="true", SECURE_HTTPS="false",
               DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://permits@127.0.0.1:1/permits"))
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:config.gunicorn", "config.wsgi",
             "--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    if _get(f"{base}/healthz") == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            _get(f"{base}/healthz?token={SECRET}&password={SECRET}",
                 Referer=f"{base}/permits/?q={SECRET}", Authorization=f"Token {SECRET}")
            _get(f"{base}/accounts/reset/MQ/{RESET_TOKEN}/?next={SECRET}")
            time.sleep(0.5)
        finally:
            proc.terminate()
            proc.wait(10)
    text = log.read_text()
    lines = [line for line in text.splitlines() if '"GET ' in line]
    assert len(lines) >= 3, text
    assert any('"GET /healthz HTTP/1.1" 200' in line for line in lines), text
    assert any("/accounts/reset/[redacted]/[redacted]" in line for line in lines), text
    assert SECRET not in text and RESET_TOKEN not in text, text
    assert "?" not in "".join(lines), text
