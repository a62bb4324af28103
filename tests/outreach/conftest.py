"""Fixtures of the outreach tests: a fake WhatsApp Cloud API on a local HTTP server."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Recorded:
    path: str
    headers: dict
    body: dict


@dataclass
class FakeWhatsApp:
    """Answers queued responses in order (then 200 with a new wamid) and records requests."""

    base_url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    responses: deque = field(default_factory=deque)

    def answer(self, status: int, body: dict | None = None, *, delay: float = 0, headers=None):
        self.responses.append((status, body or {}, delay, headers or {}))


@pytest.fixture
def fake_whatsapp():
    fake = FakeWhatsApp()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            fake.requests.append(
                Recorded(path=self.path, headers=dict(self.headers), body=json.loads(raw or b"{}"))
            )
            if fake.responses:
                status, body, delay, headers = fake.responses.popleft()
            else:
                status, body, delay, headers = (
                    200,
                    {
                        "messaging_product": "whatsapp",
                        "messages": [{"id": f"wamid.TEST{len(fake.requests)}"}],
                    },
                    0,
                    {},
                )
            if delay:
                time.sleep(delay)
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/v21.0"
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def live_delivery(settings):
    settings.OUTREACH_DELIVERY = "live"
    return settings
