"""A webhook receiver on loopback for the delivery tests: a real HTTP server in a thread.

It verifies every request with the Standard Webhooks reference library
(``standardwebhooks``) and answers from a script: ``fail_first[subject] = N``
answers 503 to the first N requests about that subject, then 200.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    event: dict[str, Any]
    headers: dict[str, str]
    verified: bool
    status: int


@dataclass
class Receiver:
    url: str
    secrets: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    fail_first: dict[str, int] = field(default_factory=dict)
    always: int | None = None  # answer every request with this status
    redirect: str | None = None  # answer 307 to this location (once per request path without ?moved)
    body_size: int = 0  # pad the reply to this many bytes
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        text = body.decode()
        verified = False
        for secret in self.secrets:
            try:
                Webhook(secret).verify(text, headers)
                verified = True
            except WebhookVerificationError:
                continue
        event = json.loads(text)
        with self.lock:
            subject = str(event.get("subject"))
            if self.always is not None:
                status = self.always
            elif self.fail_first.get(subject, 0) > 0:
                self.fail_first[subject] -= 1
                status = 503
            else:
                status = 200 if verified else 401
            self.received.append(Received(event, headers, verified, status))
        return status

    def accepted(self) -> list[dict[str, Any]]:
        return [r.event for r in self.received if r.status == 200]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if receiver.redirect and "moved" not in self.path:
                self.send_response(307)
                self.send_header("location", receiver.redirect)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            status = receiver.handle(body, {k.lower(): v for k, v in self.headers.items()})
            reply = b'{"ok": true}' if status == 200 else b"temporarily unavailable: try later"
            reply += b" " * max(receiver.body_size - len(reply), 0)
            self.send_response(status)
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client read enough
                self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextlib.contextmanager
def serving() -> Iterator[Receiver]:
    """A receiver listening on a free loopback port until the block ends (several may run at once)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Receiver("")))
    host, port = server.server_address[:2]
    found = Receiver(f"http://{host!s}:{port}/hooks/conveyor")
    server.RequestHandlerClass = _handler(found)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving() as found:
        yield found
