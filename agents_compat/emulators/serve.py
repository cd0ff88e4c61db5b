"""Serve an emulator as a real local HTTP server, for curl, the real SDK, or another process.

Standard-library threading server: one thread per connection, HTTP/1.1 keep-alive, SSE replies
sent with chunked transfer encoding, Nagle disabled (otherwise every small write waits ~40 ms).
A fault (``faults.Fault``) is played on the real socket: pauses are sleeps, resets are TCP RSTs.
"""

from __future__ import annotations

import io
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
# that sends nothing for IDLE_TIMEOUT seconds is closed; a request's headers must arrive within HEADER_TIMEOUT
# of its first byte and its body within BODY_TIMEOUT of its headers, in total (a byte a second does not reset
# them, as it does a socket timeout); past MAX_CONNECTIONS open at once, a new one takes the slot of the
# connection that has waited longest for a request's headers, or, if every one is busy answering, gets 503 and
# is closed (one thread each, so this bounds the threads too); a body over MAX_REQUEST_BODY bytes gets 413 unread.
IDLE_TIMEOUT = 30.0
HEADER_TIMEOUT = 10.0  # Apache's mod_reqtimeout allows 20 s to the first byte of headers, nginx 60 s
BODY_TIMEOUT = 30.0  # 8 MiB on loopback takes milliseconds; this is for clients that trickle
MAX_CONNECTIONS = 64
MAX_REQUEST_BODY = 8 * 1024 * 1024
_BUSY_BODY = b'{"error": {"message": "too many open connections", "type": "server_busy_error"}}'
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)


class _DeadlineReader(io.RawIOBase):
    """The connection's reads, each bounded by what is left of the current deadline, not by a timeout per read.

    Between requests a read waits up to the idle timeout; a request's first byte starts its header deadline
    (``expect_request``), and ``expect_body`` starts the body's. ``evict`` makes the next read fail, so the
    server can take back the slot of a connection that is only waiting.
    """

    def __init__(self, sock: socket.socket, idle: float):
        self.sock, self.idle = sock, idle
        self.deadline: float | None = None
        self.pending: float | None = None  # the header deadline, started by the request's first byte
        self.evicted = False

    def readable(self) -> bool:
        return True

    def expect_request(self, seconds: float) -> None:
        self.deadline, self.pending = None, seconds

    def expect_body(self, seconds: float) -> None:
        self.deadline, self.pending = time.monotonic() + seconds, None

    def answering(self) -> None:
        """Reads done: writes get the idle timeout again, whatever was left of a deadline."""
        self.deadline = self.pending = None
        self.sock.settimeout(self.idle)

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.evicted:
            raise ConnectionAbortedError("evicted: its slot went to a new connection")
        wait = self.idle
        if self.deadline is not None:
            wait = min(wait, self.deadline - time.monotonic())
            if wait <= 0:
                raise TimeoutError("the request's deadline passed")
        self.sock.settimeout(wait)
        count = self.sock.recv_into(buffer)
        if self.evicted:
            raise ConnectionAbortedError("evicted: its slot went to a new connection")
        if count and self.pending is not None:
            self.deadline, self.pending = time.monotonic() + self.pending, None
        return count


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
        # Connections waiting for a request's headers, and since when: the ones a new connection may displace.
        self.waiting: dict[socket.socket, tuple[float, _DeadlineReader]] = {}
        self.waiting_lock = threading.Lock()

    def wait_for_request(self, connection: socket.socket, reader: _DeadlineReader | None) -> None:
        """Mark ``connection`` as waiting for a request's headers (``reader``), or as busy answering (None)."""
        with self.waiting_lock:
            if reader is None:
                self.waiting.pop(connection, None)
            else:
                self.waiting[connection] = (time.monotonic(), reader)

    def _evict_longest_waiting(self) -> bool:
        """Close the connection that has waited longest for its request's headers; False if none is waiting.

        A slow-header client (a byte a second) then holds a slot only until the next connection arrives,
        however many it opens, and an idle keep-alive client reconnects as it would after any server close.
        """
        with self.waiting_lock:
            if not self.waiting:
                return False
            connection = min(self.waiting, key=lambda c: self.waiting[c][0])
            _, reader = self.waiting.pop(connection)
        reader.evicted = True
        try:
            connection.shutdown(socket.SHUT_RDWR)  # wakes its blocked read, which then fails
        except OSError:
            pass
        return True

    @property
    def bound_address(self) -> tuple[str, int]:
        """The host and port it listens on; socketserver types ``server_address`` for any address family."""
        host, port = self.server_address[:2]
        return str(host), int(port)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        # The evicted connection's thread gives its slot back as it ends: wait for it briefly.
        if not self.slots.acquire(blocking=False) and not (
            self._evict_longest_waiting() and self.slots.acquire(timeout=2.0)
        ):
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
    """The request body's length, or None and why the request cannot be read (answered 400 or 413).

    Any Transfer-Encoding is refused: honouring one header of two (``identity`` and ``chunked``), or
    Content-Length beside it, lets chunk bytes be read as the next request (request smuggling; RFC 9112
    section 6.1 lets a server reject a request with both).
    """
    codings = headers.get_all("transfer-encoding") or []
    if len(codings) > 1:
        return None, "400 conflicting Transfer-Encoding headers"
    if codings and headers.get_all("content-length"):
        return None, "400 Transfer-Encoding and Content-Length together"
    if codings and "chunked" in codings[0].lower():
        return None, "400 chunked request bodies are not supported: send Content-Length"
    if codings:
        return None, f"400 unsupported Transfer-Encoding {codings[0][:40]!r}: send Content-Length"
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
    faulty: FaultyEmulator,
    quiet: bool = True,
    idle_timeout: float = IDLE_TIMEOUT,
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        server_version = f"harness-emulator/{faulty.emulator.family}"
        timeout = idle_timeout  # socketserver sets it on the connection: a silent client is let go
        reader: _DeadlineReader

        def setup(self) -> None:
            super().setup()
            self.rfile.close()
            self.reader = _DeadlineReader(self.connection, idle_timeout)
            self.rfile = io.BufferedReader(self.reader)

        def handle_one_request(self) -> None:
            self.reader.expect_request(header_timeout)
            self.server.wait_for_request(self.connection, self.reader)  # type: ignore[attr-defined]
            try:
                super().handle_one_request()
            finally:
                self.server.wait_for_request(self.connection, None)  # type: ignore[attr-defined]

        def finish(self) -> None:
            self.server.wait_for_request(self.connection, None)  # type: ignore[attr-defined]
            super().finish()

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
            self.server.wait_for_request(self.connection, None)  # type: ignore[attr-defined]
            length, problem = _body_length(self.headers)
            if length is None:
                self.reader.answering()
                return self._refuse(problem)
            self.reader.expect_body(body_timeout)
            try:
                body = self.rfile.read(length) if length else b""
            except TimeoutError:
                self.reader.answering()
                return self._refuse(f"408 the request body did not arrive within {body_timeout:g} s")
            self.reader.answering()
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
    header_timeout: float = HEADER_TIMEOUT,
    body_timeout: float = BODY_TIMEOUT,
) -> EmulatorServer:
    """A bound server (port 0 picks a free port: see ``server.server_address``); call serve_forever()."""
    handler = make_handler(FaultyEmulator(emulator, fault), quiet, idle_timeout, header_timeout, body_timeout)
    return EmulatorServer((host, port), handler, max_connections)
