"""A tiny scriptable HTTP server on 127.0.0.1 (OS-chosen port) for the net tests.

    with StubServer() as srv:
        srv.script("/data", Reply(503), Reply(200, b'{"ok": 1}'))
        url = srv.url("/data")
        ...
        assert srv.count("/data") == 2

Replies for a path are served in order; the last one repeats. Unscripted paths answer 404.
Every request is recorded (path, query, headers).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    content_type: str | None = None

    def payload(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.content_type or "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), self.content_type or "text/plain; charset=utf-8"
        return json.dumps(self.body).encode("utf-8"), self.content_type or "application/json"


def json_reply(data: Any, status: int = 200, **kwargs: Any) -> Reply:
    return Reply(status, json.dumps(data).encode("utf-8"), content_type="application/json", **kwargs)


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class StubServer:
    def __init__(self) -> None:
        self._scripts: dict[str, list[Reply]] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else delayed ACKs add ~40 ms per reply

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                with stub._lock:
                    stub.requests.append(Seen(parts.path, dict(parse_qsl(parts.query)), dict(self.headers.items())))
                    queue = stub._scripts.get(parts.path)
                    if queue:
                        reply = queue.pop(0) if len(queue) > 1 else queue[0]
                    else:
                        reply = Reply(404, {"message": "no such path"})
                if reply.delay:
                    time.sleep(reply.delay)
                body, ctype = reply.payload()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def script(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self._scripts[path] = list(replies)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def count(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if path is None or r.path == path)

    def start(self) -> StubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def refused_url(path: str = "/") -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
