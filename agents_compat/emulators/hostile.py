"""Loopback servers that misbehave on purpose, for the harness's own tests and benchmarks.

``huge_answers`` answers every request with a valid beginning and then far too many bytes (a plain JSON
body, or an SSE stream when the request asked for one); ``silent`` accepts connections and never answers;
``gzip_bomb`` sends a small gzip body that inflates to gigabytes; ``stalls`` sends headers and a few
events, then nothing; ``many_events`` streams hundreds of thousands of tiny deltas; ``compressing`` puts
gzip (or deflate) in front of another server, as nginx's ``gzip on`` does. All listen on 127.0.0.1 only
and stop when the ``with`` block ends.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import urllib.parse
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from typing import Any

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
def serving(server: HTTPServer) -> Iterator[str]:
    """Serve ``server`` (bound to 127.0.0.1) on a daemon thread and yield its /v1 base URL; stop it on exit."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def huge_answers(size: int = 50 * 1024 * 1024) -> Iterator[str]:
    """A /v1 base URL whose every answer is ``size`` bytes."""
    with serving(_Quiet(("127.0.0.1", 0), _huge_handler(size))) as url:
        yield url


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


def _stream_asked(body: bytes) -> bool:
    return b'"stream": true' in body or b'"stream":true' in body


class _Held(_Quiet):
    """A server whose handlers may hold their connection until the server stops."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        super().__init__(("127.0.0.1", 0), handler)
        self.stop = threading.Event()

    def shutdown(self) -> None:
        self.stop.set()  # first: a handler holding its connection returns, so serve_forever can stop
        super().shutdown()


def gzip_bomb_body(size: int) -> bytes:
    """A valid gzip member of a JSON chat answer whose content is ``size`` bytes of "a" (2 GiB: about 2 MB).

    Built from one fully flushed deflate block repeated: compressing 2 GiB outright takes half a minute.
    """
    head = b'{"id": "bomb", "object": "chat.completion", "choices": [{"index": 0, "message": {"content": "'
    tail = b'"}}]}'
    unit = b"a" * PIECE
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = raw.compress(head) + raw.flush(zlib.Z_FULL_FLUSH)
    block = raw.compress(unit) + raw.flush(zlib.Z_FULL_FLUSH)  # after a full flush: the same bytes each time
    end = raw.compress(b"a" * (size % PIECE) + tail) + raw.flush()
    crc = zlib.crc32(head)
    for _ in range(size // PIECE):
        crc = zlib.crc32(unit, crc)
    crc = zlib.crc32(b"a" * (size % PIECE) + tail, crc)
    total = len(head) + size + len(tail)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + start + block * (size // PIECE) + end + struct.pack("<II", crc, total & 0xFFFFFFFF)


@contextmanager
def gzip_bomb(size: int = 2 * 1024 * 1024 * 1024) -> Iterator[str]:
    """A /v1 base URL whose every answer is a small gzip body that inflates to ``size`` bytes."""
    bomb = gzip_bomb_body(size)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-encoding", "gzip")
            self.send_header("content-length", str(len(bomb)))
            self.end_headers()
            self.wfile.write(bomb)

        do_GET = do_POST

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(_Held(Handler)) as url:
        yield url


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _sse(payload: Mapping[str, object]) -> bytes:
    return b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"


def _opening(chat: bool) -> bytes:
    if chat:
        return _sse(
            {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"role": "assistant"}}]}
        )
    return _sse({"type": "response.created", "response": {"id": "r", "object": "response", "status": "in_progress"}})


def _delta(chat: bool, text: str) -> bytes:
    if chat:
        return _sse(
            {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text}}]}
        )
    return _sse(
        {"type": "response.output_text.delta", "item_id": "m", "output_index": 0, "content_index": 0, "delta": text}
    )


@contextmanager
def stalls(events: int = 3) -> Iterator[str]:
    """A /v1 base URL that sends headers and the first ``events`` SSE events (or half a JSON body), then nothing.

    The connection stays open until the server stops: a gateway whose upstream hung mid-answer.
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            chat = self.path.endswith("/chat/completions")
            self.send_response(200)
            if _stream_asked(body):
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for number in range(events):
                    self.wfile.write(_chunk(_opening(chat) if number == 0 else _delta(chat, "a")))
            else:
                self.send_header("content-type", "application/json")
                self.send_header("content-length", "1000")
                self.end_headers()
                self.wfile.write(b'{"id": "stalled", ')
            self.wfile.flush()
            assert isinstance(self.server, _Held)
            self.server.stop.wait()

        do_GET = do_POST

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(_Held(Handler)) as url:
        yield url


@contextmanager
def many_events(count: int = 800_000, *, end: bool = True) -> Iterator[str]:
    """A /v1 base URL whose streams are ``count`` one-character text deltas, then a proper end.

    ``end=False``: the deltas never stop (until the server does), a flood no cell timeout outlasts.
    A plain (non-streamed) request gets an ordinary short answer.
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            chat = self.path.endswith("/chat/completions")
            self.send_response(200)
            if not _stream_asked(body):
                answer = json.dumps(_plain_answer(chat, "a")).encode()
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                return
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            self.wfile.write(_chunk(_opening(chat)))
            delta, batch = _delta(chat, "a"), 4096
            assert isinstance(self.server, _Held)
            if not end:
                while not self.server.stop.is_set():
                    self.wfile.write(_chunk(delta * 64))
                return
            for sent in range(0, count, batch):
                self.wfile.write(_chunk(delta * min(batch, count - sent)))
            self.wfile.write(_chunk(_closing(chat, "a" * count)) + b"0\r\n\r\n")

        do_GET = do_POST

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(_Held(Handler)) as url:
        yield url


def _plain_answer(chat: bool, text: str) -> dict[str, object]:
    usage = {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}
    if chat:
        message = {"role": "assistant", "content": text}
        return {
            "id": "c",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    item = {
        "type": "message",
        "id": "m",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    return {"id": "r", "object": "response", "status": "completed", "output": [item], "usage": usage}


def _closing(chat: bool, text: str) -> bytes:
    if chat:
        stop = {
            "id": "c",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
        return _sse(stop) + b"data: [DONE]\n\n"
    return _sse({"type": "response.completed", "response": _plain_answer(chat, text)})


def _compressor(coding: str) -> Any:
    return zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16 if coding == "gzip" else zlib.MAX_WBITS)


@contextmanager
def compressing(upstream: str, coding: str = "gzip") -> Iterator[str]:
    """A /v1 base URL that forwards to ``upstream`` (a /v1 base URL) and compresses what it answers.

    As nginx does with ``gzip on`` (and ``gzip_types`` naming JSON and event streams): only for a client
    that accepts ``coding``; a stream flushed chunk by chunk (Z_SYNC_FLUSH) so its events are not held back.
    """
    target = urllib.parse.urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            skip = {"host", "accept-encoding", "connection", "content-length"}
            headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
            connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=60)
            try:
                connection.request(self.command, self.path, body=body or None, headers=headers)
                answer = connection.getresponse()
                self._relay(answer, coding in self.headers.get("accept-encoding", ""))
            finally:
                connection.close()

        do_GET = do_POST
        do_DELETE = do_POST

        def _relay(self, answer: http.client.HTTPResponse, compress: bool) -> None:
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                    self.send_header(name, value)
            if not compress:
                data = answer.read()
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_header("content-encoding", coding)
            squeeze = _compressor(coding)
            if "text/event-stream" not in (answer.getheader("content-type") or ""):
                data = squeeze.compress(answer.read()) + squeeze.flush()
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            while piece := answer.read1(65536):
                self.wfile.write(_chunk(squeeze.compress(piece) + squeeze.flush(zlib.Z_SYNC_FLUSH)))
                self.wfile.flush()
            self.wfile.write(_chunk(squeeze.flush()) + b"0\r\n\r\n")

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serving(_Held(Handler)) as url:
        yield url
