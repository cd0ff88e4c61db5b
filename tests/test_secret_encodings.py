"""Keys echoed back in every spelling (raw, JSON-escaped, URL-encoded, repr'd by a library's DEBUG log,
base64- or base64url-encoded at any offset of a larger blob, split across a stream's deltas) reach no output:
a property test over keys with awkward characters, run against a real loopback server."""

from __future__ import annotations

import base64
import html
import json
import re
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agents_compat.config.profiles import load_profiles
from agents_compat.emulators import hostile
from agents_compat.judging.matrix import Matrix
from agents_compat.outcomes import Cell, Outcome
from agents_compat.report import Report, cassettes
from agents_compat.report import html as html_report
from agents_compat.report.build import build
from agents_compat.report.steps import step
from agents_compat.testing import run_suites
from agents_compat.wire.redact import REDACTED, scrub, scrub_json

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

AWKWARD = "\\/\"'%+&<>={}[]|`~#?:;, éø😀"
keys = st.text(alphabet=st.sampled_from(AWKWARD) | st.characters(min_codepoint=48, max_codepoint=122), min_size=6).map(
    lambda tail: f"sk-{tail}"
)
header_keys = st.text(alphabet=st.sampled_from(AWKWARD[:-4]) | st.sampled_from("abcXYZ019"), min_size=6, max_size=20)


def _utf16(text: str) -> list[int]:
    data = text.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def spellings(key: str) -> dict[str, str]:
    """The key as each encoder a backend, a library or a report writer might apply would write it."""
    as_json = json.dumps(key)[1:-1]
    found = {
        "raw": key,
        "json": as_json,
        "json, non-ASCII kept": json.dumps(key, ensure_ascii=False)[1:-1],
        "json, slashes escaped": as_json.replace("/", "\\/"),
        "json, every character \\u-escaped": "".join(f"\\u{unit:04X}" for unit in _utf16(key)),
        "json in json": json.dumps(as_json)[1:-1],
        "url": urllib.parse.quote(key, safe=""),
        "form": urllib.parse.quote_plus(key),
        "repr": repr(key)[1:-1],
        "bytes repr": repr(key.encode())[2:-1],
    }
    found.update({f"html of {name}": html.escape(text) for name, text in list(found.items())})
    return found


def base64_leaks(text: str, key: str) -> bool:
    """Whether any run of base64 or base64url characters in ``text`` decodes, at any of its four character
    offsets, to bytes that hold the key: the key at any byte offset of any blob is found this way."""
    data = key.encode("utf-8", errors="surrogatepass")
    for run in re.findall(r"[A-Za-z0-9+/_-]{4,}", text.replace("\\/", "/")):
        run = run.replace("-", "+").replace("_", "/")
        for start in range(4):
            chunk = run[start:]
            chunk = chunk[:-1] if len(chunk) % 4 == 1 else chunk + "=" * (-len(chunk) % 4)  # the tail too
            if data in base64.b64decode(chunk):
                return True
    return False


def leaks(text: str, key: str) -> list[str]:
    found = [name for name, spelled in spellings(key).items() if spelled in text]
    return found + (["base64"] if base64_leaks(text, key) else [])


def encoded(key: str, before: bytes, after: bytes, url: bool, padded: bool) -> str:
    """The key base64- (or base64url-) encoded inside a larger blob, as a token or Basic auth would hold it."""
    blob = (base64.urlsafe_b64encode if url else base64.b64encode)(before + key.encode() + after).decode()
    return blob if padded else blob.rstrip("=")


def chat_deltas(pieces: list[str]) -> list[dict[str, object]]:
    """A chat stream whose text arrives in ``pieces``, as SSE events are stored in a report."""
    events: list[dict[str, object]] = [
        {
            "event": None,
            "data": {
                "id": "c1",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": piece}}],
            },
        }
        for piece in pieces
    ]
    return [*events, {"event": None, "data": "[DONE]"}]


def tool_call_deltas(pieces: list[str]) -> list[dict[str, object]]:
    """A chat stream whose one tool call's arguments arrive in ``pieces``, with another call's between."""

    def call(index: int, arguments: str) -> dict[str, object]:
        delta = {"tool_calls": [{"index": index, "function": {"arguments": arguments}}]}
        return {"event": None, "data": {"id": "c1", "choices": [{"index": 0, "delta": delta}]}}

    first, *rest = pieces
    return [call(0, first), call(1, '{"other": 1}'), *(call(0, piece) for piece in rest)]


def responses_deltas(pieces: list[str]) -> list[dict[str, object]]:
    return [
        {
            "event": "response.output_text.delta",
            "data": {
                "type": "response.output_text.delta",
                "item_id": "m1",
                "output_index": 0,
                "content_index": 0,
                "delta": piece,
            },
        }
        for piece in pieces
    ]


def streamed(events: list[dict[str, object]]) -> dict[str, object]:
    """An exchange as a report holds it: what the HTML's steps view reads."""
    return {
        "request": {
            "method": "POST",
            "url": "http://x/v1/chat/completions",
            "headers": {},
            "body": {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
        },
        "response": {
            "status": 200,
            "headers": {"content-type": "text/event-stream"},
            "body": events,
            "streamed": True,
            "complete": True,
        },
        "seconds": 0.1,
    }


@given(
    key=keys,
    before=st.binary(max_size=5),
    after=st.binary(max_size=5),
    url=st.booleans(),
    padded=st.booleans(),
    cuts=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=2, unique=True),
)
@example(key="sk-\\\\back\\slash/\"quote'", before=b"", after=b"", url=False, padded=True, cuts=[5])
@example(key="sk-canary-7f3a9b", before=b"u:", after=b"", url=False, padded=True, cuts=[8])  # Basic auth
@example(key="sk-canary-7f3a9b", before=b"a", after=b"\xff", url=True, padded=False, cuts=[1, 15])
@settings(max_examples=200, deadline=None, database=None)
def test_scrub_removes_every_spelling_of_any_key(
    key: str, before: bytes, after: bytes, url: bool, padded: bool, cuts: list[int]
) -> None:
    for name, spelled in spellings(key).items():
        text = f"before {spelled} after"
        assert scrub(text, [key]) == f"before {REDACTED} after", name
    assert scrub_json({key: [f"x{key}y"]}, [key]) == {REDACTED: [f"x{REDACTED}y"]}
    # Base64 at each of the three byte offsets (the drawn prefix's length modulo 3), standard or URL-safe.
    blob = encoded(key, before, after, url, padded)
    assert base64_leaks(blob, key)  # the oracle finds it before scrubbing
    for text in (f"token {blob} end", json.dumps({"echo": blob}).replace("/", "\\/")):
        assert not base64_leaks(scrub(text, [key]), key), (blob, scrub(text, [key]))
    assert not base64_leaks(json.dumps(scrub_json({"echo": [blob]}, [key])), key)
    # Split across two or three deltas: the stored events, and the text a reader joins from them.
    bounds = [0, *sorted(c for c in cuts if c < len(key)), len(key)]
    pieces = [key[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    pieces[0] = f"your key {pieces[0]}"
    pieces[-1] = f"{pieces[-1]} ok"
    for events in (chat_deltas(pieces), tool_call_deltas(pieces), responses_deltas(pieces)):
        scrubbed = scrub_json(events, [key])
        assert not leaks(json.dumps(scrubbed, ensure_ascii=False), key)
        joined = "".join(re.findall(r'"(?:content|arguments|delta)": "((?:[^"\\]|\\.)*)"', json.dumps(scrubbed)))
        assert not leaks(json.loads(f'"{joined}"'), key), joined
        if len(bounds) > 2:
            assert REDACTED in json.dumps(scrubbed)
    received = step(streamed(scrub_json(chat_deltas(pieces), [key]))).received
    assert received.startswith("answered: your key ") and not leaks(received, key), received


class EchoingBackend(BaseHTTPRequestHandler):
    """A chat backend that answers with the caller's key in it, in several spellings at once."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        key = self.headers["authorization"].removeprefix("Bearer ")
        asked = str(body["messages"][-1].get("content", "")).rpartition("exactly: ")[2]
        slashed = json.dumps(key).replace("/", "\\/")  # what PHP's json_encode writes
        answer = json.dumps(f"{asked} (your key: {key})").replace("/", "\\/")  # the answer quotes the key
        spelled = ", ".join(f'"{text}"' for text in spellings(key).values() if '"' not in text and "\\" not in text)
        if body.get("model") != "m":
            self._send(404, b'{"error": {"message": "no model for key ' + slashed[1:-1].encode() + b'"}}')
            return
        if body.get("stream"):
            # The key split across two deltas: whole only where a reader joins them (the HTML's steps view).
            text = f"{asked} (your key: {key})"
            cut = text.index(key) + len(key) // 2
            events = b""
            for piece in (text[:cut], text[cut:]):
                chunk = b'{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": '
                content = json.dumps(piece).replace("/", "\\/").encode()
                chunk += b'[{"index": 0, "delta": {"role": "assistant", "content": ' + content + b"}}]}"
                events += b"data: " + chunk + b"\n\n"
            done = b'{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": '
            done += b'[{"index": 0, "delta": {}, "finish_reason": "stop"}]}'
            self._send(200, events + b"data: " + done + b"\n\ndata: [DONE]\n\n", "text/event-stream")
            return
        # Base64 at each of the three byte offsets, standard and URL-safe, padded or not (a token, Basic auth).
        blobs = [encoded(key, b"", b"", False, True), encoded(key, b"u:", b"", False, True)]
        blobs += [encoded(key, b"x", b"?>", True, False), encoded(key, b"ab", b"\xff", False, False)]
        spelled += ", " + ", ".join(f'"{blob}"' for blob in blobs)
        reply = b'{"id": "c1", "object": "chat.completion", "created": 1, "model": "m", "choices": [{"index": 0, '
        reply += b'"finish_reason": "stop", "message": {"role": "assistant", "content": ' + answer.encode() + b"}}], "
        reply += b'"usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}, '
        reply += b'"echo": [' + spelled.replace("/", "\\/").encode() + b"]}"
        self._send(200, reply)

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        key = self.headers["authorization"].removeprefix("Bearer ")
        self.send_header("x-echo-key", key)
        self.send_header("x-echo-basic", f"Basic {encoded(key, b'user:', b'', False, True)}")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def echoing_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoingBackend)
    server.daemon_threads = True
    with hostile.serving(server) as url:
        yield url


PROFILE = """[profiles.echo]
family = "custom"
api = "chat_completions"
model = "m"
reach = "url"
base_url = "{url}"
api_key_env = "HARNESS_ECHOED_KEY"
"""


@given(key=header_keys.map(lambda tail: f"sk-{tail}"))
@example(key="sk-\\\\back\\slash/\"quote'")
@example(key="sk-a/b%2F+c&d<e>")
@example(key="sk-plain-canary-123")  # scrubbed from the wire text before: plain_text read broken
@settings(max_examples=6, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_an_echoed_key_reaches_no_output_in_any_spelling(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, echoing_url: str, key: str
) -> None:
    monkeypatch.setenv("HARNESS_ECHOED_KEY", key)
    (pytester.path / "echo.toml").write_text(PROFILE.format(url=echoing_url))
    out = pytester.path / "out"
    result = run_suites(
        pytester,
        *("-m", "live", "--backends", "echo.toml", "--backend", "echo"),
        *("-k", "test_plain_text or test_streaming or test_error_surfacing"),
        *("--junitxml", str(out / "junit.xml"), "-o", "junit_logging=all"),
        *("--log-level=DEBUG", "--log-file", str(out / "debug.log"), "--log-file-level=DEBUG"),
        "-rA",
    )
    report = json.loads((out / "compat-matrix.json").read_text())
    cells = {c["feature"]: c for c in report["cells"]}
    # The answer quotes the key: the SDK's output still equals the text on the wire, so this is supported.
    assert cells["plain_text"]["outcome"] == "supported", cells["plain_text"]["reason"]
    assert "no model for key ***" in json.dumps(cells["error_surfacing"]), cells["error_surfacing"]["reason"]
    # The debug log really quoted the echoing header (as bytes), so the check below has something to find.
    assert "x-echo-key" in (out / "debug.log").read_text()
    report["cells"] = [{**c, "backend": "echo@live"} for c in report["cells"]]
    report["backends"] = [{**b, "name": "echo@live"} for b in report["backends"]]
    written = cassettes.write(pytester.path / "cassettes", Report.model_validate(report))
    assert written
    outputs = {path.name: path.read_text() for path in [*out.iterdir(), *written]}
    outputs |= {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    assert {"compat-matrix.json", "compat-matrix.md", "compat-matrix.html", "junit.xml", "debug.log"} <= set(outputs)
    for name, text in outputs.items():
        assert not leaks(text, key), f"{key!r} leaked into {name} as {leaks(text, key)}"


def test_the_log_record_scrubbing_is_undone_after_the_session(pytester: pytest.Pytester) -> None:
    import logging

    before = logging.getLogRecordFactory()
    run_suites(pytester, "--backend", "ollama-chat", "-k", "test_plain_text")
    assert logging.getLogRecordFactory() is before


def test_the_html_steps_view_scrubs_what_it_joins() -> None:
    """A report from before cross-delta scrubbing (or any shape the stored scrub did not join) still holds a
    key in two pieces: the page scrubs the text its steps view joins from them, given the session's keys."""
    key = "sk-canary-7f3a9b"
    matrix = Matrix()
    exchange = streamed(chat_deltas([f"your key {key[:7]}", f"{key[7:]} ok"]))
    cell = Cell("ollama-chat", "streaming", "mocked", Outcome.SUPPORTED, "ok", Outcome.SUPPORTED, [exchange])
    matrix.add(load_profiles()["ollama-chat"], cell)
    report = build(matrix)[0]
    assert key in html_report.render(report)  # joined without the keys: whole (what the fix is for)
    page = html_report.render(report, [key])
    assert key not in page and not leaks(page, key)
    assert f"answered: your key {REDACTED} ok" in page
