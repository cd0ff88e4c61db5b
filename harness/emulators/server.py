"""Serve an emulator as a real local HTTP server, for curl, the real SDK, or another process.

Standard-library threading server: one thread per connection, HTTP/1.1 keep-alive, SSE replies
sent with chunked transfer encoding, Nagle disabled (otherwise every small write waits ~40 ms).
A fault (``faults.Fault``) is played on the real socket: pauses are sleeps, resets are TCP RSTs.
"""

from __future__ import annotations

import socket
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .base import Emulator, HttpRequest
from .faults import Fault, FaultyEmulator, Pause, Reset


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5: a burst of clients then waits for SYN retransmits (1 s each).
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        super().__init__(address, handler)
        self.resets: set[socket.socket] = set()

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client went away (it timed out, or was stopped): nothing to report
        super().handle_error(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        if request in self.resets:
            # No shutdown(SHUT_WR): that sends a FIN, and the client would read a clean end, not a reset.
            self.resets.discard(request)
            request.close()
            return
        super().shutdown_request(request)


def make_handler(faulty: FaultyEmulator, quiet: bool = True) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        server_version = f"harness-emulator/{faulty.emulator.family}"

        def _reset(self) -> None:
            """Close with SO_LINGER 0, so the kernel sends a TCP RST instead of a FIN."""
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.server.resets.add(self.connection)  # type: ignore[attr-defined]

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
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
    emulator: Emulator, host: str = "127.0.0.1", port: int = 0, quiet: bool = True, fault: Fault | None = None
) -> EmulatorServer:
    """A bound server (port 0 picks a free port: see ``server.server_address``); call serve_forever()."""
    return EmulatorServer((host, port), make_handler(FaultyEmulator(emulator, fault), quiet))
