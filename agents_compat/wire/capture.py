"""Wire capture: every HTTP exchange between the SDK and a backend, with secrets redacted.

``CapturingTransport`` wraps any httpx transport (a respx-mounted emulator or a real network
transport), so the mocked and the live tier record evidence the same way. Streamed bodies are
teed as the SDK reads them, so capture never changes what the SDK sees or when it sees it.

A compressed answer (a gateway behind nginx's ``gzip on``) is recorded and judged decoded: the capture
inflates a copy as it tees, with the body cap counting inflated bytes, so a small gzip body that inflates
to gigabytes is cut at the cap before the SDK's own decoder ever sees the chunk that would pass it.
The client asks only for the encodings decoded here (``ACCEPT_ENCODING``), whatever httpx could decode.

A report keeps a bounded excerpt of each answer (``to_json``): the first and last ``EDGE_EVENTS`` events
of a stream, the first ``PREVIEW`` characters of a large body, with the totals, so a report grows with
its cells and not with what a backend sends.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..options import DEFAULT_MAX_BODY
from .redact import REDACTED, scrub, scrub_json

PREVIEW = 2000  # characters of an oversized or large body kept in the report
EDGE_EVENTS = 100  # events kept from each end of a longer stream in the report
BODY_KEPT = 64 * 1024  # a plain body up to this many bytes is kept whole in the report
# What the client asks for (httpx would add br and zstd when their packages happen to be installed):
# exactly the encodings the capture can decode with the standard library.
ACCEPT_ENCODING = "gzip, deflate"
# x-gzip is left out on purpose: httpx does not decode it either, so the SDK reads those bytes compressed.
_ZLIB_WBITS = {"gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
STILL_ARRIVING = 0.5  # seconds: a body cut sooner than this after its last byte was still arriving


class BodyTooLarge(httpx.ReadError):
    """The backend sent more than the capture's cap; raised into the SDK as a failed read."""


class _OverCap(Exception):
    def __init__(self, produced: int):
        self.produced = produced


class _Inflater:
    """Undoes one Content-Encoding chunk by chunk, never holding more than the room left under the cap."""

    def __init__(self, coding: str):
        self.coding = coding
        self._zlib = zlib.decompressobj(_ZLIB_WBITS[coding])
        self._first = True

    def feed(self, data: bytes, room: int) -> bytes:
        """The bytes ``data`` inflates to; ``_OverCap`` as soon as they would pass ``room``."""
        out = bytearray()
        while data and not self._zlib.eof:
            try:
                piece = self._zlib.decompress(data, room - len(out) + 1)  # max_length: a bomb stops here
            except zlib.error:
                if self.coding == "deflate" and self._first:  # raw deflate without the zlib header, as some
                    self._zlib, self._first = zlib.decompressobj(-zlib.MAX_WBITS), False  # servers send it
                    continue
                raise
            self._first = False
            out += piece
            if len(out) > room:
                raise _OverCap(len(out))
            data = self._zlib.unconsumed_tail
        return bytes(out)


def _codings(headers: httpx.Headers) -> list[str]:
    """The Content-Encoding codings applied to a body, in order (identity left out)."""
    found = ",".join(headers.get_list("content-encoding"))
    return [c.strip().lower() for c in found.split(",") if c.strip() and c.strip().lower() != "identity"]


SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "api-key", "x-api-key", "openai-api-key", "cookie", "set-cookie"}
)


def parse_sse(text: str) -> list[dict[str, Any]]:
    """Split a text/event-stream body into events: {"event": name or None, "data": JSON or raw text}.

    The body is complete by the time this runs, so the whole spec we need is: events are separated
    by a blank line; ``event:`` names one; ``data:`` lines are joined with newlines. Equal events share
    one parsed dict (read-only, like every body here): a flood of identical tiny events costs a list slot
    each, not a kilobyte of dicts.
    """
    events: list[dict[str, Any]] = []
    parsed: dict[tuple[str | None, str], dict[str, Any]] = {}
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data_lines = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data_lines.append(line[5:].removeprefix(" "))
        if not data_lines and name is None:
            continue
        raw = "\n".join(data_lines)
        event = parsed.get((name, raw))
        if event is None:
            try:
                data: Any = json.loads(raw)
            except ValueError:
                data = raw
            event = parsed[(name, raw)] = {"event": name, "data": data}
        events.append(event)
    return events


def _redact_headers(headers: httpx.Headers, secrets: Iterable[str]) -> dict[str, str]:
    return {
        name: REDACTED if name.lower() in SECRET_HEADERS else scrub(value, secrets) for name, value in headers.items()
    }


def _decode_body(raw: bytes, content_type: str) -> Any:
    text = raw.decode("utf-8", errors="replace")
    if "text/event-stream" in content_type:
        return parse_sse(text)
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


@dataclass
class Exchange:
    """One request and its response, as the SDK sent and received them.

    The URL and headers are redacted at capture; the bodies stay as received, so a classifier can compare
    them with what the SDK made of them (a backend may echo the key), and are redacted by ``to_json``,
    the only way an exchange leaves the process.
    """

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: Any
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    streamed: bool = False
    complete: bool = False  # False if the SDK stopped reading, or the connection failed
    seconds: float = 0.0
    raw_response: bytearray = field(default_factory=bytearray, repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)
    oversize: int = 0  # bytes received (decoded) when the body passed the cap (0: within it)
    max_body: int = DEFAULT_MAX_BODY
    encoding: str = ""  # the Content-Encoding undone before recording ("" for none)
    wire_bytes: int = 0  # bytes as they came over the wire (compressed, when ``encoding`` is set)
    undecoded: str = ""  # why the body could not be decoded ("" when it could, or needed no decoding)
    quiet: float = 0.0  # seconds between the last byte received (or the headers) and the exchange's end
    events_total: int | None = None  # a report's count of a stream's events, when it kept only some
    size: int | None = None  # a report's count of the body's bytes, when it kept only part of it
    # perf_counter times while the body is open: its reader may be a task the cell timeout has not stopped yet
    _open: bool = field(default=False, repr=False)
    _sent_at: float = field(default=0.0, repr=False)
    _last_at: float = field(default=0.0, repr=False)

    _decoded: tuple[int, Any] = field(default=(-1, None), repr=False)

    @property
    def response_body(self) -> Any:
        """The response as received so far: JSON, text, or a list of SSE events (decoded once per size)."""
        if self.oversize:  # cut at the cap: only a preview is kept, as text
            return self._oversize_body()
        if self._decoded[0] != len(self.raw_response):
            content_type = self.response_headers.get("content-type", "")
            self._decoded = (len(self.raw_response), _decode_body(bytes(self.raw_response), content_type))
        return self._decoded[1]

    @property
    def path(self) -> str:
        return httpx.URL(self.url).path

    @property
    def events(self) -> list[dict[str, Any]]:
        """The SSE events of a streamed response ([] for a plain body)."""
        return self.response_body if self.streamed and isinstance(self.response_body, list) else []

    @property
    def received(self) -> int:
        """Bytes of the body received (decoded), whether or not they were all kept."""
        return self.oversize or self.size or len(self.raw_response)

    def clock(self, ended: bool = False) -> None:
        """Bring ``seconds`` and ``quiet`` up to now while the body is open (``ended``: and close it)."""
        if self._open:
            now = time.perf_counter()
            self.seconds, self.quiet, self._open = now - self._sent_at, now - self._last_at, not ended

    @property
    def arrived(self) -> str:
        """What came of an answer that never ended: "headers and 3 events (412 bytes), then nothing for 30 s"."""
        self.clock()
        if self.status is None:
            return "nothing"
        if self.streamed:
            count = self.events_total if self.events_total is not None else len(self.events)
            got = f"headers and {count:,} event{'' if count == 1 else 's'} ({self.received:,} bytes)"
        else:
            length = self.response_headers.get("content-length")
            got = f"headers and {self.received:,}{f' of {length}' if length else ''} body bytes"
        if self.quiet < min(STILL_ARRIVING, self.seconds / 4):  # a short exchange: silent for most of it is a stall
            return f"{got}, still arriving when it was cut"
        return f"{got}, then nothing for {self.quiet:.1f} s"

    def to_json(self) -> dict[str, Any]:
        self.clock()
        response: dict[str, Any] = {
            "status": self.status,
            "headers": self.response_headers,
            "body": self._kept_body(),
            "streamed": self.streamed,
            "complete": self.complete,
        }
        if self.streamed and len(response["body"] or []) < (total := len(self.events)):
            response["events_total"] = total  # the body keeps some from each end
        if not self.oversize and (size := len(self.raw_response)) > BODY_KEPT:
            response["size"] = size
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": self.request_headers,
                "body": scrub_json(self.request_body, self.secrets),
            },
            "response": response,
            "seconds": round(self.seconds, 4),
        }

    def _kept_body(self) -> Any:
        """The body as a report keeps it: bounded, whatever the backend sent, and scrubbed before it is cut (a
        key split across two deltas, or across the cut, is found and redacted, not half kept)."""
        body = self.response_body
        if self.streamed and isinstance(body, list):
            if len(body) <= 2 * EDGE_EVENTS and len(self.raw_response) <= BODY_KEPT:
                return scrub_json(body, self.secrets)
            first = _edge_count(body)
            last = _edge_count(body[: first - 1 : -1])
            # Each kept end is scrubbed with EDGE_EVENTS more of its neighbours: a key split across the cut is
            # whole there. Scrubbing all the events would cost more than they do (every string of each, twice).
            head = scrub_json(body[: first + EDGE_EVENTS], self.secrets)[:first]
            start = len(body) - last
            window = max(0, start - EDGE_EVENTS)
            tail = scrub_json(body[window:], self.secrets)[start - window :] if last else []
            return [_excerpt(event) for event in head + tail]
        if self.oversize or len(self.raw_response) <= BODY_KEPT:
            return scrub_json(body, self.secrets)
        head = scrub(bytes(self.raw_response).decode("utf-8", errors="replace"), self.secrets)[:PREVIEW]
        return f"[a {len(self.raw_response)}-byte body; its first {PREVIEW} characters:] {head}"

    @property
    def oversize_reason(self) -> str:
        if self.encoding:
            return (
                f"a response body over the {self.max_body}-byte cap once decoded ({self.encoding}: more than "
                f"{self.max_body} bytes from the first {self.wire_bytes} compressed bytes, then cut)"
            )
        return f"a response body over the {self.max_body}-byte cap ({self.oversize} bytes received, then cut)"

    def _oversize_body(self) -> str:
        head = scrub(bytes(self.raw_response).decode("utf-8", errors="replace")[:PREVIEW], self.secrets)
        return f"[{self.oversize_reason}; its first {PREVIEW} characters:] {head}"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Exchange:
        """An exchange read back from a report, so the evidence helpers can read reports too."""
        request, response = data["request"], data["response"]
        return cls(
            method=request["method"],
            url=request["url"],
            request_headers=request.get("headers") or {},
            request_body=request.get("body"),
            status=response.get("status"),
            response_headers=response.get("headers") or {},
            streamed=bool(response.get("streamed")),
            complete=bool(response.get("complete")),
            seconds=data.get("seconds", 0.0),
            events_total=response.get("events_total"),
            size=response.get("size"),
            # A report holds the decoded body and no raw bytes: cache it against the empty buffer.
            _decoded=(0, response.get("body")),
        )


def _text(event: dict[str, Any]) -> str:
    data = event["data"]
    return data if isinstance(data, str) else json.dumps(data, default=str)


def _edge_count(events: list[dict[str, Any]]) -> int:
    """How many events from the start of ``events`` a report keeps: up to ``EDGE_EVENTS``, and ``BODY_KEPT``
    characters (a larger event counted as its excerpt)."""
    kept = spent = 0
    for event in events:
        if kept == EDGE_EVENTS or spent > BODY_KEPT:
            break
        size = len(_text(event))
        kept, spent = kept + 1, spent + (PREVIEW if size > BODY_KEPT // 4 else size)
    return kept


def _excerpt(event: dict[str, Any]) -> dict[str, Any]:
    """An event as a report keeps it: whole, or, over a quarter of ``BODY_KEPT``, its first characters."""
    text = _text(event)
    if len(text) <= BODY_KEPT // 4:
        return event
    return {**event, "data": f"[a {len(text)}-character event; its first {PREVIEW}:] {text[:PREVIEW]}"}


class _TeeStream(httpx.AsyncByteStream):
    """Passes the body through untouched, keeping a (decoded) copy of every byte the SDK reads.

    The exchange's ``seconds`` run to the end of the body, however it ended (read to the end, cut at the
    cap, failed, cancelled by the cell timeout, closed early), and ``quiet`` is how long before that
    end the last byte came.
    """

    def __init__(self, inner: httpx.AsyncByteStream, exchange: Exchange, started: float):
        self._inner, self._exchange = inner, exchange
        exchange._open, exchange._sent_at, exchange._last_at = True, started, time.perf_counter()  # headers came
        codings = _codings(httpx.Headers(exchange.response_headers))
        self._inflater: _Inflater | None = None
        if len(codings) == 1 and codings[0] in _ZLIB_WBITS:
            self._inflater = _Inflater(codings[0])
            exchange.encoding = codings[0]
        elif codings:
            # br or zstd unasked, or layers of codings: not what the harness asked for, nor what it can judge
            exchange.undecoded = (
                f"a body in Content-Encoding {', '.join(codings)!r}; the request accepted {ACCEPT_ENCODING}"
            )

    async def __aiter__(self) -> AsyncIterator[bytes]:
        exchange = self._exchange
        try:
            async for chunk in self._inner:
                exchange._last_at = time.perf_counter()
                exchange.wire_bytes += len(chunk)
                self._keep(chunk)
                yield chunk
            exchange.complete = True
        finally:
            exchange.clock(ended=True)

    def _keep(self, chunk: bytes) -> None:
        exchange = self._exchange
        room = exchange.max_body - len(exchange.raw_response)
        decoded = chunk
        if self._inflater is not None:
            try:
                decoded = self._inflater.feed(chunk, room)
            except _OverCap as over:
                self._cut(len(exchange.raw_response) + over.produced)
            except zlib.error as error:
                exchange.undecoded = f"a {self._inflater.coding} body that does not decode ({error})"
                raise httpx.DecodingError(exchange.undecoded) from error
        if len(decoded) > room:
            self._cut(len(exchange.raw_response) + len(decoded))
        exchange.raw_response.extend(decoded)

    def _cut(self, received: int) -> None:
        exchange = self._exchange
        exchange.oversize = received
        del exchange.raw_response[PREVIEW * 4 :]  # the preview is all a broken cell needs
        raise BodyTooLarge(exchange.oversize_reason)

    async def aclose(self) -> None:
        self._exchange.clock(ended=True)
        await self._inner.aclose()


class CapturingTransport(httpx.AsyncBaseTransport):
    """Records every exchange that passes through ``inner`` into ``exchanges``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, secrets: Iterable[str] = (), max_body: int = DEFAULT_MAX_BODY):
        self.inner = inner
        self.max_body = max_body
        self.secrets = tuple(s for s in secrets if s)
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        exchange = Exchange(
            method=request.method,
            url=scrub(str(request.url), self.secrets),
            request_headers=_redact_headers(request.headers, self.secrets),
            request_body=_decode_body(body, request.headers.get("content-type", "application/json")),
            secrets=self.secrets,
            max_body=self.max_body,
        )
        self.exchanges.append(exchange)
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        exchange.seconds = time.perf_counter() - started  # until the headers; the body's end extends it
        exchange.status = response.status_code
        exchange.response_headers = _redact_headers(response.headers, self.secrets)
        exchange.streamed = "text/event-stream" in response.headers.get("content-type", "")
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_TeeStream(stream, exchange, started),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()
