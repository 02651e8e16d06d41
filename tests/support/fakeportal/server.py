"""A threaded loopback HTTP server that hosts fake portal apps, with fault switches and a request log.

Apps are mounted by path prefix. An app is any object with::

    handle(method, path, query, headers) -> (status, headers, body)

where ``path`` is the full request path (prefix included), ``query`` is ``dict[str, list[str]]`` (URL query plus
any form-encoded POST body), ``headers`` are the request headers (case-insensitive ``.get``), and the answer is an
int status, a dict (or list of pairs) of response headers and the body bytes. The longest matching prefix wins.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote_plus, urlsplit

HOST = "127.0.0.1"  # the fake never binds anything else
POLL_INTERVAL = 0.01  # how often the serving loop looks for stop(): stop() waits up to this long

Query = dict[str, list[str]]
Response = tuple[int, Any, bytes]


class App(Protocol):
    def handle(self, method: str, path: str, query: Query, headers: Any) -> Response: ...


# --- fault switches ---------------------------------------------------------------------------------------------

FAULT_KINDS = (
    "429",  # 429 Too Many Requests, with Retry-After: <retry_after> (omitted when retry_after is None)
    "429_no_retry_after",  # 429 without Retry-After
    "503_after_stall",  # sleep <seconds>, then 503
    "500",  # 500 Internal Server Error
    "error200",  # HTTP 200 with an ArcGIS error object
    "truncated_json",  # the real answer, cut in half (Content-Length matches the cut body)
    "latency",  # add <seconds> before answering; the request then proceeds normally
    "html200",  # HTTP 200 with an HTML page
    "reset",  # send headers and half the body, then reset the connection
    "redirect_loop",  # 302 to the very same URL, forever
    "huge",  # HTTP 200 with a 50 MB body (<seconds> unused; size from ``size``, default HUGE_BYTES)
    "wrong_content_type",  # the real answer as application/octet-stream; with ``body``: that body as text/csv
    "stall",  # send headers and half the body, stall <seconds>, then the rest (a read timeout on the client)
)

HUGE_BYTES = 50 * 1024 * 1024
CSV_BODY = b"OBJECTID,NAME\r\n1,not json\r\n2,still not json\r\n"

ARCGIS_ERROR_BODY = b'{"error":{"code":500,"message":"Error performing query operation","details":[]}}'

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
    b"<body><h1>Sorry, the site is down for maintenance.</h1><p>Please try again later.</p></body></html>"
)


@dataclass
class Fault:
    """One switched-on fault. ``remaining`` counts down per firing; None means forever."""

    kind: str
    path_contains: str | None = None
    remaining: int | None = None
    retry_after: int | float | None = 1
    seconds: float = 0.5
    body: bytes | None = None
    fired: int = 0
    size: int = HUGE_BYTES

    def matches(self, target: str) -> bool:
        return self.path_contains is None or self.path_contains in target


class Faults:
    """Thread-safe fault switches. Each fault fires for requests whose decoded target (``path?query``) contains
    ``path_contains`` (every request when None), ``count`` times (forever when None), then switches itself off.

    Latency faults add up and then let the request through; of the other faults, the first one set that matches
    fires.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def set(
        self,
        kind: str | int = "500",
        path_contains: str | None = None,
        count: int | None = None,
        *,
        retry_after: int | float | None = 1,
        seconds: float | None = None,
        body: bytes | None = None,
        size: int | None = None,
    ) -> Fault:
        """Switch a fault on and return it (``fault.fired`` tells how often it fired).

        ``retry_after``: the Retry-After value for 429 (None: no header). ``seconds``: the stall before a
        503_after_stall (default 0.5), the added latency (default 0.2) or the mid-body stall (default 2).
        ``body``: replaces the canned body of 429, 500, 503_after_stall, error200, html200 or wrong_content_type.
        ``size``: the length of a ``huge`` body (default 50 MB).
        """
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(FAULT_KINDS)}")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1, or None for forever")
        if seconds is None:
            seconds = {"latency": 0.2, "stall": 2.0}.get(kind, 0.5)
        if kind == "429_no_retry_after":
            retry_after = None
        fault = Fault(kind, path_contains, count, retry_after, seconds, body, size=size or HUGE_BYTES)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, target: str) -> tuple[float, Fault | None]:
        """For one request: the latency to add, and the fault to fire (each counted down)."""
        latency, chosen = 0.0, None
        with self._lock:
            for fault in list(self._faults):
                if not fault.matches(target):
                    continue
                if fault.kind == "latency":
                    latency += fault.seconds
                elif chosen is None:
                    chosen = fault
                else:
                    continue
                fault.fired += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
        return latency, chosen


def synthetic_response(fault: Fault) -> Response | None:
    """The canned answer for faults that replace the real one (None for those that alter it)."""
    if fault.kind in ("429", "429_no_retry_after"):
        headers = {"Content-Type": "application/json"}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        return 429, headers, fault.body or b'{"error":{"code":429,"message":"Too many requests","details":[]}}'
    if fault.kind == "503_after_stall":
        time.sleep(fault.seconds)
        return (
            503,
            {"Content-Type": "text/html"},
            fault.body or b"<html><body><h1>503 Service Unavailable</h1></body></html>",
        )
    if fault.kind == "500":
        return (
            500,
            {"Content-Type": "text/html"},
            fault.body or b"<html><body><h1>500 Internal Server Error</h1></body></html>",
        )
    if fault.kind == "error200":
        return 200, {"Content-Type": "application/json; charset=utf-8"}, fault.body or ARCGIS_ERROR_BODY
    if fault.kind == "html200":
        return 200, {"Content-Type": "text/html; charset=utf-8"}, fault.body or HTML_PAGE
    if fault.kind == "wrong_content_type" and fault.body is not None:
        return 200, {"Content-Type": "text/csv; charset=utf-8"}, fault.body
    return None


# --- request log ----------------------------------------------------------------------------------------------------


@dataclass
class Request:
    """One logged request. Unpacks as ``method, path, params = request``.

    ``params`` holds one value per name (the last one given); ``query`` keeps every value.
    """

    method: str
    path: str
    params: dict[str, str]
    query: Query = field(repr=False)
    headers: dict[str, str] = field(repr=False)  # names in lower case
    status: int | None = None  # what was answered (None until the answer starts)
    fault: str | None = None  # the fault that fired, if any

    def __iter__(self) -> Iterator[Any]:
        return iter((self.method, self.path, self.params))


# --- the server -----------------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakePortal/1.0"
    timeout = 30  # drop idle keep-alive connections

    @property
    def owner(self) -> FakeServer:
        return self.server.owner  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        # headers and body go out as separate writes: without this, Nagle + delayed ACK add ~40 ms per response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.owner._track(self.connection, add=False)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: Any) -> None:
        if self.owner.verbose:
            super().log_message(format, *args)

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            body = self.rfile.read(length)
            if "application/x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
                for name, values in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items():
                    query.setdefault(name, []).extend(values)
        record = self.owner._log(method, path, query, self.headers)
        with self.owner._serving():
            self._answer(method, path, query, record)

    def _answer(self, method: str, path: str, query: Query, record: Request) -> None:
        target = unquote_plus(self.path)
        latency, fault = self.owner.faults.take(target)
        if latency:
            time.sleep(latency)
        answer = synthetic_response(fault) if fault else None
        if answer is None:
            answer = self.owner.dispatch(method, path, query, self.headers)
        status, headers, body = answer
        if fault and fault.kind == "truncated_json":
            body = body[: len(body) // 2]
        if fault and fault.kind == "wrong_content_type" and fault.body is None:
            headers = [(k, v) for k, v in _header_items(headers) if k.lower() != "content-type"]
            headers.append(("Content-Type", "application/octet-stream"))
        if fault and fault.kind == "redirect_loop":
            status, headers, body = 302, {"Location": self.path, "Content-Type": "text/plain"}, b"moved\n"
        if fault and fault.kind == "huge":
            self._send_huge(record, fault.size)
            return
        record.status = status
        record.fault = fault.kind if fault else None
        self.send_response(status)
        for name, value in _header_items(headers):
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if fault and fault.kind == "reset":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self._reset_connection()
            return
        if fault and fault.kind == "stall":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            time.sleep(fault.seconds)
            body = body[len(body) // 2 :]
        try:
            self.wfile.write(body)
        except OSError:  # the client gave up (a stall past its timeout): nothing more to say
            self.close_connection = True

    def _send_huge(self, record: Request, size: int) -> None:
        """200 with ``size`` bytes of JSON-looking padding, written in 1 MB chunks until the client hangs up."""
        record.status, record.fault = 200, "huge"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b" " * (1 << 20)
        try:
            sent = 0
            while sent < size:
                piece = chunk[: min(len(chunk), size - sent)]
                self.wfile.write(piece)
                sent += len(piece)
        except OSError:
            pass
        self.close_connection = True

    def _reset_connection(self) -> None:
        """Close with RST rather than FIN, so the client sees the connection torn down mid-body."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()  # drop the makefile reference so close() really closes the socket
            self.connection.close()
        except OSError:
            pass


def _header_items(headers: Any) -> Iterable[tuple[str, str]]:
    return headers.items() if isinstance(headers, dict) else headers


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: FakeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (after a reset, a stall past its timeout, a refused huge body, a redirect it
        stopped following) is normal here: only print real errors."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class FakeServer:
    """Loopback HTTP server on an OS-picked port (unless ``port`` is given), serving in a daemon thread.

    ``server.url`` is ``http://127.0.0.1:PORT``. Use ``with FakeServer() as server:`` or ``start()``/``stop()``.
    """

    def __init__(self, port: int = 0, verbose: bool = False):
        self.faults = Faults()
        self.verbose = verbose
        self.apps: dict[str, App] = {}
        self._port = port
        self._routes: list[tuple[str, App]] = []
        self._lock = threading.Lock()
        self._requests: list[Request] = []
        self._in_flight = self._max_in_flight = 0
        self._connections: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # apps

    def mount(self, prefix: str, app: App, name: str | None = None) -> None:
        """Serve every path equal to or under ``prefix`` with ``app``; ``name`` also registers it in ``apps``."""
        prefix = "/" + prefix.strip("/")
        with self._lock:
            self._routes.append((prefix, app))
            self._routes.sort(key=lambda route: len(route[0]), reverse=True)
            if name:
                self.apps[name] = app

    @property
    def arcgis(self) -> Any:
        """The mounted ArcGIS app (switches such as ``hub_page_cap`` live there)."""
        return self.apps["arcgis"]

    def dispatch(self, method: str, path: str, query: Query, headers: Any) -> Response:
        with self._lock:
            routes = list(self._routes)
        for prefix, app in routes:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                try:
                    return app.handle(method, path, query, headers)
                except Exception:  # a bug in the fake: say so loudly, with the traceback
                    return 500, {"Content-Type": "text/plain; charset=utf-8"}, traceback.format_exc().encode()
        return 404, {"Content-Type": "text/plain; charset=utf-8"}, f"no app mounted for {path}\n".encode()

    # life cycle

    def start(self) -> FakeServer:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((HOST, self._port), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": POLL_INTERVAL},
            name=f"fakeportal:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:  # wake handler threads parked on keep-alive connections
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def reset(self, *apps: Any) -> FakeServer:
        """Back to a just-started state, for a server shared by several tests: no faults, an empty request log,
        and ``apps`` (fresh ones, each with a ``mount(server)`` method) mounted in place of the old."""
        self.faults.clear()
        with self._lock:
            self._requests.clear()
            self._max_in_flight = self._in_flight
            self._routes.clear()
            self.apps.clear()
        for app in apps:
            app.mount(self)
        return self

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (still known after ``stop()``)."""
        if not self._port:
            raise RuntimeError("the fake server has not been started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # request log

    @property
    def requests(self) -> list[Request]:
        """A snapshot of every request so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path_contains: str) -> list[Request]:
        """Logged requests whose path contains ``path_contains``."""
        return [r for r in self.requests if path_contains in r.path]

    def reset_log(self) -> None:
        """Forget the requests so far (and ``max_in_flight``)."""
        with self._lock:
            self._requests.clear()
            self._max_in_flight = self._in_flight

    @property
    def max_in_flight(self) -> int:
        """The most requests this server has been answering at one time (since the last reset), counted from when
        a request has been read until its answer has been written: what a client's per-host limit bounds."""
        with self._lock:
            return self._max_in_flight

    @contextlib.contextmanager
    def _serving(self) -> Iterator[None]:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def _log(self, method: str, path: str, query: Query, headers: Any) -> Request:
        params = {name: values[-1] for name, values in query.items()}
        record = Request(method, path, params, query, {name.lower(): value for name, value in headers.items()})
        with self._lock:
            self._requests.append(record)
        return record

    def _track(self, connection: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)
