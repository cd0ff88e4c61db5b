"""``serve`` under abuse: malformed or oversized requests get a 4xx, silent clients are let go, open
connections are bounded; and a fuzzer of raw malformed HTTP (loopback, bounded in time) finds no traceback."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.emulators import create
from harness.emulators.server import EmulatorServer, make_server

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@contextmanager
def served(**limits: float) -> Iterator[tuple[EmulatorServer, int, io.StringIO]]:
    """A served emulator; what it writes to stderr (tracebacks go there) is collected."""
    errors = io.StringIO()
    server = make_server(create("ollama", "qwen3:0.6b"), port=0, **limits)
    original = server.handle_error

    def handle_error(request: object, client_address: object) -> None:
        with redirect_stderr(errors):
            original(request, client_address)

    server.handle_error = handle_error  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, server.server_address[1], errors
    finally:
        server.shutdown()
        server.server_close()


def exchange(port: int, data: bytes, wait: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes or goes quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as client:
        client.sendall(data)
        client.shutdown(socket.SHUT_WR)
        received = b""
        try:
            while chunk := client.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return received


def request(length: str, body: bytes = b"{}") -> bytes:
    head = "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
    return (head + f"content-length: {length}\r\n\r\n").encode() + body


@pytest.mark.parametrize(
    ("length", "status", "message"),
    [
        ("abc", b"400", b"Content-Length must be a non-negative integer"),
        ("-1", b"400", b"Content-Length must be a non-negative integer"),
        ("99999999999", b"413", b"over the 8388608-byte limit"),
        ("1.5", b"400", b"Content-Length must be a non-negative integer"),
    ],
)
def test_bad_content_length_is_a_clear_4xx_at_once(length: str, status: bytes, message: bytes) -> None:
    with served() as (_, port, errors):
        started = time.perf_counter()
        reply = exchange(port, request(length))
        assert time.perf_counter() - started < 2.0  # no handler left waiting for a body that never comes
    assert reply.startswith(b"HTTP/1.1 " + status), reply[:200]
    assert message in reply
    assert errors.getvalue() == ""


def test_a_silent_client_is_let_go_after_the_idle_timeout() -> None:
    with served(idle_timeout=0.5) as (_, port, errors), socket.create_connection(("127.0.0.1", port)) as idle:
        idle.settimeout(5)
        started = time.perf_counter()
        assert idle.recv(1) == b""  # closed by the server, without a reply
        assert 0.4 < time.perf_counter() - started < 3.0
    assert errors.getvalue() == ""


def test_open_connections_are_bounded() -> None:
    before = threading.active_count()
    with served(max_connections=5, idle_timeout=10) as (_, port, _errors):
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
        time.sleep(0.3)
        refused = exchange(port, b"")
        threads = threading.active_count() - before
        for connection in held:
            connection.close()
        assert refused.startswith(b"HTTP/1.1 503"), refused
        assert threads <= 5 + 1, threads  # the five held, and the accepting loop
        time.sleep(0.3)
        answered = exchange(port, b"GET /v1/models HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        assert answered.startswith(b"HTTP/1.1 200"), answered[:100]


METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "BREW", "", "G\x00ET"])
PATHS = st.sampled_from(["/v1/chat/completions", "/v1/responses", "/v1/models", "/", "*", "/v1/../etc", ""])
VERSIONS = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9", "", "http/1.1"])
HEADER_VALUES = st.text(max_size=30) | st.sampled_from(["-1", "abc", "99999999999", "0", "5", "chunked", " 3 "])
HEADERS = st.lists(
    st.tuples(
        st.sampled_from(["content-length", "transfer-encoding", "authorization", "content-type", "x", ""]),
        HEADER_VALUES,
    ),
    max_size=5,
)
BODIES = st.binary(max_size=200) | st.sampled_from([b"{}", b'{"model": "qwen3:0.6b", "messages": []}', b"0\r\n\r\n"])


@pytest.fixture(scope="module")
def fuzz_target() -> Iterator[tuple[int, io.StringIO]]:
    with served(idle_timeout=0.5) as (_, port, errors):
        yield port, errors


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(method=METHODS, path=PATHS, version=VERSIONS, headers=HEADERS, body=BODIES, garbage=st.binary(max_size=60))
def test_fuzzed_http_never_makes_serve_raise(
    fuzz_target: tuple[int, io.StringIO],
    method: str,
    path: str,
    version: str,
    headers: list[tuple[str, str]],
    body: bytes,
    garbage: bytes,
) -> None:
    port, errors = fuzz_target
    lines = [f"{method} {path} {version}"] + [f"{name}: {value}" for name, value in headers]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", errors="surrogateescape") + body + garbage
    reply = exchange(port, data, wait=3.0)
    assert errors.getvalue() == "", f"{data!r}: {errors.getvalue()}"
    if not reply.startswith(b"HTTP/1."):
        # Closed without a word, or an HTTP/0.9-style reply (a body alone) to a request line without a
        # version, as the standard library's server answers one.
        return
    status = int(reply.split(b" ", 2)[1])
    assert status < 500 or status in (501, 503, 505), reply[:300]  # 501: no such method; 505: HTTP/2 asked
