"""Loopback servers that misbehave on purpose, for the harness's own tests and benchmarks.

``huge_answers`` answers every request with a valid beginning and then far too many bytes (a plain JSON
body, or an SSE stream when the request asked for one); ``silent`` accepts connections and never answers.
Both listen on 127.0.0.1 only and stop when the ``with`` block ends.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PIECE = 1024 * 1024


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the client cutting a 50 MB answer short is the point


def _huge_handler(size: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            streamed = b'"stream": true' in body or b'"stream":true' in body
            self.send_response(200)
            if streamed:
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                event = b"data: " + json.dumps({"type": "response.output_text.delta", "delta": "a" * 4000}).encode()
                piece = (event + b"\n\n") * (PIECE // (len(event) + 2))
                for _ in range(size // len(piece) + 1):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
                return
            head = b'{"id": "big", "object": "chat.completion", "choices": [{"index": 0, "message": {"content": "'
            tail = b'"}}]}'
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(head) + size + len(tail)))
            self.end_headers()
            self.wfile.write(head)
            for sent in range(0, size, PIECE):
                self.wfile.write(b"a" * min(PIECE, size - sent))
            self.wfile.write(tail)

        do_GET = do_POST

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def huge_answers(size: int = 50 * 1024 * 1024) -> Iterator[str]:
    """A /v1 base URL whose every answer is ``size`` bytes."""
    server = _Quiet(("127.0.0.1", 0), _huge_handler(size))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent() -> Iterator[str]:
    """A /v1 base URL that accepts every connection and never sends a byte."""
    held: list[socket.socket] = []
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join()
        listener.close()
        for connection in held:
            connection.close()
