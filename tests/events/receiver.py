"""A real HTTP receiver on loopback that verifies every signature with the reference library."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    """Answers each POST with the next status of ``statuses`` (then ``then``)."""

    def __init__(self, secrets=(), statuses=(), then=200, headers=None):
        self.secrets = list(secrets)
        self.statuses = list(statuses)
        self.then = then
        self.extra_headers = headers or {}
        self.received = []  # (webhook-id, status answered, verified by each secret, payload)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = []
                for secret in receiver.secrets:
                    try:
                        Webhook(secret).verify(body, headers)
                        verified.append(True)
                    except WebhookVerificationError:
                        verified.append(False)
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.then
                    receiver.received.append((headers.get("webhook-id"), status, verified, json.loads(body),
                                              headers.get("webhook-signature")))
                self.send_response(status)
                for name, value in receiver.extra_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/permits"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def accepted_ids(self):
        with self.lock:
            return [r[0] for r in self.received if 200 <= r[1] < 300]
