"""Serve an emulator as a real local HTTP server, for curl, the real SDK, or another process.

Standard-library threading server: one thread per connection, HTTP/1.1 keep-alive, SSE replies
sent with chunked transfer encoding, Nagle disabled (otherwise every small write waits ~40 ms).
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .base import Emulator, HttpRequest


def make_handler(emulator: Emulator, quiet: bool = True) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        server_version = f"harness-emulator/{emulator.family}"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            path = self.path.split("?", 1)[0]
            reply = emulator.handle(
                HttpRequest(self.command, path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.streamed:
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for chunk in reply.chunks or []:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

        do_GET = do_POST = do_DELETE = do_PUT = _serve

        def log_message(self, format: str, *args: object) -> None:
            if not quiet:
                super().log_message(format, *args)

    return Handler


def make_server(emulator: Emulator, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> ThreadingHTTPServer:
    """A bound server (port 0 picks a free port: see ``server.server_address``); call serve_forever()."""
    server = ThreadingHTTPServer((host, port), make_handler(emulator, quiet))
    server.daemon_threads = True
    return server
