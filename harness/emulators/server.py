"""Serve an emulator as a real local HTTP server, for curl, the real SDK, or another process.

Standard-library threading server: one thread per connection, HTTP/1.1 keep-alive, SSE replies
sent with chunked transfer encoding, Nagle disabled (otherwise every small write waits ~40 ms).
A fault (``faults.Fault``) is played on the real socket: pauses are sleeps, resets are TCP RSTs.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .base import Emulator, HttpRequest
from .faults import Fault, FaultyEmulator, Pause, Reset

# Limits against clients that misbehave (docs/robustness.md, "Hostile backends and bad input"): a connection
# that sends nothing for IDLE_TIMEOUT seconds is closed; past MAX_CONNECTIONS open at once, a new one gets 503
# and is closed (one thread each, so this bounds the threads too); a body over MAX_REQUEST_BODY bytes gets 413
# unread.
IDLE_TIMEOUT = 30.0
MAX_CONNECTIONS = 64
MAX_REQUEST_BODY = 8 * 1024 * 1024
_BUSY_BODY = b'{"error": {"message": "too many open connections", "type": "server_busy_error"}}'
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5: a burst of clients then waits for SYN retransmits (1 s each).
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        max_connections: int = MAX_CONNECTIONS,
    ):
        super().__init__(address, handler)
        self.resets: set[socket.socket] = set()
        self.slots = threading.BoundedSemaphore(max_connections)

    @property
    def bound_address(self) -> tuple[str, int]:
        """The host and port it listens on; socketserver types ``server_address`` for any address family."""
        host, port = self.server_address[:2]
        return str(host), int(port)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        if not self.slots.acquire(blocking=False):
            try:
                request.sendall(BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # the thread never started: give its slot back
            self.slots.release()
            raise

    def process_request_thread(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # the client went away, or went quiet past the idle timeout: nothing to report
        super().handle_error(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        if request in self.resets:
            # No shutdown(SHUT_WR): that sends a FIN, and the client would read a clean end, not a reset.
            self.resets.discard(request)
            request.close()
            return
        super().shutdown_request(request)


def _body_length(headers: Message) -> tuple[int | None, str]:
    """The request body's length, or None and why the request cannot be read (answered 400 or 413)."""
    if "chunked" in (headers.get("transfer-encoding") or "").lower():
        return None, "400 chunked request bodies are not supported: send Content-Length"
    values = set(headers.get_all("content-length") or [])
    if not values:
        return 0, ""
    if len(values) > 1:
        return None, "400 conflicting Content-Length headers"
    value = values.pop().strip()
    if not value.isascii() or not value.isdigit():
        return None, f"400 Content-Length must be a non-negative integer, got {value[:40]!r}"
    if int(value) > MAX_REQUEST_BODY:
        return None, f"413 request body of {value} bytes is over the {MAX_REQUEST_BODY}-byte limit"
    return int(value), ""


def make_handler(
    faulty: FaultyEmulator, quiet: bool = True, idle_timeout: float = IDLE_TIMEOUT
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        server_version = f"harness-emulator/{faulty.emulator.family}"
        timeout = idle_timeout  # socketserver sets it on the connection: a silent client is let go

        def _refuse(self, problem: str) -> None:
            """A request that cannot be read: its status and message, then the connection is closed."""
            status, _, message = problem.partition(" ")
            body = json.dumps({"error": {"message": message, "type": "invalid_request_error"}}).encode()
            self.close_connection = True
            self.send_response(int(status))
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def _reset(self) -> None:
            """Close with SO_LINGER 0, so the kernel sends a TCP RST instead of a FIN."""
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.server.resets.add(self.connection)  # type: ignore[attr-defined]

        def _serve(self) -> None:
            length, problem = _body_length(self.headers)
            if length is None:
                return self._refuse(problem)
            body = self.rfile.read(length) if length else b""
            if len(body) < length:  # the client closed before sending the body it announced
                self.close_connection = True
                return
            path = self.path.split("?", 1)[0]
            delivery = faulty.deliver(
                HttpRequest(self.command, path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            reply = delivery.reply
            if reply is None:
                return self._reset()
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.streamed:
                self.send_header("transfer-encoding", "chunked")
            else:
                self.send_header("content-length", str(len(reply.body)))
            self.end_headers()
            for write in delivery.writes():
                if isinstance(write, Pause):
                    time.sleep(write.seconds)
                elif isinstance(write, Reset):
                    return self._reset()
                elif reply.streamed:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(write), write))
                    self.wfile.flush()
                else:
                    self.wfile.write(write)
            if reply.streamed:
                self.wfile.write(b"0\r\n\r\n")

        do_GET = do_POST = do_DELETE = do_PUT = _serve

        def log_message(self, format: str, *args: object) -> None:
            if not quiet:
                super().log_message(format, *args)

    return Handler


def make_server(
    emulator: Emulator,
    host: str = "127.0.0.1",
    port: int = 0,
    quiet: bool = True,
    fault: Fault | None = None,
    idle_timeout: float = IDLE_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> EmulatorServer:
    """A bound server (port 0 picks a free port: see ``server.server_address``); call serve_forever()."""
    handler = make_handler(FaultyEmulator(emulator, fault), quiet, idle_timeout)
    return EmulatorServer((host, port), handler, max_connections)
