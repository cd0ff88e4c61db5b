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

from agents_compat.emulators import create
from agents_compat.emulators.serve import EmulatorServer, make_server

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
    """Five connections each mid-body (not merely waiting) hold all five slots: a sixth gets 503."""
    before = threading.active_count()
    with served(max_connections=5, idle_timeout=10) as (_, port, _errors):
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
        for connection in held:
            connection.sendall(request("10", b"{"))  # 1 of the 10 bytes announced
        time.sleep(0.3)
        refused = exchange(port, b"")
        threads = threading.active_count() - before
        for connection in held:
            connection.close()
        assert refused.startswith(b"HTTP/1.1 503"), refused
        assert threads <= 5 + 1, threads  # the five held, and the accepting loop
        time.sleep(0.3)
        answered = exchange(port, MODELS)
        assert answered.startswith(b"HTTP/1.1 200"), answered[:100]


MODELS = b"GET /v1/models HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"


def test_a_connection_only_waiting_gives_its_slot_to_a_new_one() -> None:
    with served(max_connections=3, idle_timeout=10) as (_, port, errors):
        waiting = []
        for _ in range(3):  # apart in time, so which one waited longest does not hang on thread scheduling
            waiting.append(socket.create_connection(("127.0.0.1", port)))
            time.sleep(0.5)
        answered = exchange(port, MODELS)
        assert answered.startswith(b"HTTP/1.1 200"), answered[:100]
        waiting[0].settimeout(5)
        assert waiting[0].recv(1) == b""  # the one that waited longest was closed
        for connection in waiting:
            connection.close()
    assert errors.getvalue() == ""


def trickle(port: int, count: int, stop: threading.Event) -> threading.Thread:
    """``count`` slow-header clients (a byte a second each, reconnecting when closed), on one thread."""
    line = b"GET /v1/models HTTP/1.1\r\nhost: x\r\nx-slow: " + b"a" * 1000

    def connect() -> socket.socket | None:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=2)
        except OSError:
            return None

    def run() -> None:
        clients = [c for c in (connect() for _ in range(count)) if c]
        sent = 0
        while not stop.is_set():
            for index, client in enumerate(clients):
                try:
                    client.send(line[sent % len(line) : sent % len(line) + 1])
                except OSError:
                    client.close()
                    clients[index] = connect() or client
            sent += 1
            stop.wait(1.0)
        for client in clients:
            client.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def served_after(port: int, within: float) -> float | None:
    """Seconds until a normal request is answered 200, trying again every 0.2 s; None if not within."""
    started = time.perf_counter()
    while time.perf_counter() - started < within:
        try:
            if exchange(port, MODELS, wait=within).startswith(b"HTTP/1.1 200"):
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.2)
    return None


def test_a_normal_client_is_served_under_200_slow_header_connections() -> None:
    """200 clients sending headers at a byte a second (reconnecting when closed) against 64 slots."""
    stop = threading.Event()
    with served() as (_, port, errors):
        thread = trickle(port, 200, stop)
        try:
            time.sleep(2.0)  # every slot taken, the rest refused and reconnecting
            seconds = served_after(port, within=10.0)
        finally:
            stop.set()
            thread.join(10)
        # Before the slots of waiting connections could be taken back: not served within 45 s.
        assert seconds is not None and seconds < 3.0, seconds
    assert errors.getvalue() == ""


def test_the_header_deadline_is_not_reset_by_each_byte() -> None:
    stop = threading.Event()
    with served(header_timeout=1.0, idle_timeout=10) as (_, port, errors):
        client = socket.create_connection(("127.0.0.1", port))
        client.settimeout(0.2)
        started, closed = time.perf_counter(), None
        line = b"GET /v1/models HTTP/1.1\r\nhost: x\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        for byte in line:  # a byte every 0.2 s, each well inside the idle timeout
            try:
                client.send(bytes([byte]))
                if client.recv(1) == b"":
                    closed = time.perf_counter() - started
                    break
            except TimeoutError:
                continue
            except OSError:
                closed = time.perf_counter() - started
                break
        client.close()
        stop.set()
        assert closed is not None and 0.8 < closed < 2.5, closed
    assert errors.getvalue() == ""


def test_the_body_deadline_is_total_and_answered_408() -> None:
    with served(body_timeout=1.0, idle_timeout=10) as (_, port, errors):
        client = socket.create_connection(("127.0.0.1", port))
        client.settimeout(0.2)
        client.sendall(request("100", b""))
        started, reply = time.perf_counter(), b""
        while time.perf_counter() - started < 8 and not reply:
            try:
                client.send(b" ")  # whitespace a JSON body may hold, a byte every 0.2 s
                reply = client.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
        elapsed = time.perf_counter() - started
        client.settimeout(2)
        try:  # the head and the body may arrive in separate segments: read to the close
            while chunk := client.recv(65536):
                reply += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        client.close()
        # a deadline reset by each byte would never fire here (a byte every 0.2 s); slack for a loaded machine
        assert 0.8 < elapsed < 4.5
        assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
        assert b"did not arrive within 1 s" in reply
    assert errors.getvalue() == ""


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ("transfer-encoding: identity\r\ntransfer-encoding: chunked", b"conflicting Transfer-Encoding headers"),
        ("transfer-encoding: chunked\r\ntransfer-encoding: identity", b"conflicting Transfer-Encoding headers"),
        ("transfer-encoding: chunked\r\ncontent-length: 5", b"Transfer-Encoding and Content-Length together"),
        ("content-length: 5\r\ntransfer-encoding: identity", b"Transfer-Encoding and Content-Length together"),
        ("transfer-encoding: identity", b"unsupported Transfer-Encoding 'identity'"),
        ("transfer-encoding: gzip, chunked", b"chunked request bodies are not supported"),
    ],
)
def test_conflicting_transfer_encodings_are_refused_not_smuggled(headers: str, message: bytes) -> None:
    """The chunk bytes after the headers hold a second request: it must never be answered."""
    smuggled = b"GET /v1/models HTTP/1.1\r\nhost: x\r\n\r\n"
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled)
    head = f"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n{headers}\r\n\r\n".encode()
    with served() as (_, port, errors):
        reply = exchange(port, head + chunked)
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
    assert message in reply
    assert reply.count(b"HTTP/1.1 ") == 1, reply  # one answer: the smuggled request was not read
    assert errors.getvalue() == ""


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
