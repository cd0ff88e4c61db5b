"""Wire capture: every HTTP exchange between the SDK and a backend, with secrets redacted.

``CapturingTransport`` wraps any httpx transport (a respx-mounted emulator or a real network
transport), so the mocked and the live tier record evidence the same way. Streamed bodies are
teed as the SDK reads them, so capture never changes what the SDK sees or when it sees it.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .options import DEFAULT_MAX_BODY
from .redact import REDACTED, scrub, scrub_json

PREVIEW = 2000  # characters of an oversized body kept in the report


class BodyTooLarge(httpx.ReadError):
    """The backend sent more than the capture's cap; raised into the SDK as a failed read."""


SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "api-key", "x-api-key", "openai-api-key", "cookie", "set-cookie"}
)


def parse_sse(text: str) -> list[dict[str, Any]]:
    """Split a text/event-stream body into events: {"event": name or None, "data": JSON or raw text}.

    The body is complete by the time this runs, so the whole spec we need is: events are separated
    by a blank line; ``event:`` names one; ``data:`` lines are joined with newlines.
    """
    events: list[dict[str, Any]] = []
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
        try:
            data: Any = json.loads(raw)
        except ValueError:
            data = raw
        events.append({"event": name, "data": data})
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
    oversize: int = 0  # bytes received when the body passed the cap (0: within it)
    max_body: int = DEFAULT_MAX_BODY

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

    def to_json(self) -> dict[str, Any]:
        return {
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": self.request_headers,
                "body": scrub_json(self.request_body, self.secrets),
            },
            "response": {
                "status": self.status,
                "headers": self.response_headers,
                "body": scrub_json(self.response_body, self.secrets),
                "streamed": self.streamed,
                "complete": self.complete,
            },
            "seconds": round(self.seconds, 4),
        }

    @property
    def oversize_reason(self) -> str:
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
            # A report holds the decoded body and no raw bytes: cache it against the empty buffer.
            _decoded=(0, response.get("body")),
        )


class _TeeStream(httpx.AsyncByteStream):
    """Passes the body through untouched, keeping a copy of every byte the SDK reads."""

    def __init__(self, inner: httpx.AsyncByteStream, exchange: Exchange):
        self._inner, self._exchange = inner, exchange
        self._started = time.perf_counter()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        exchange = self._exchange
        async for chunk in self._inner:
            room = exchange.max_body - len(exchange.raw_response)
            if len(chunk) > room:
                exchange.oversize = len(exchange.raw_response) + len(chunk)
                del exchange.raw_response[PREVIEW * 4 :]  # the preview is all a broken cell needs
                exchange.seconds += time.perf_counter() - self._started
                raise BodyTooLarge(exchange.oversize_reason)
            exchange.raw_response.extend(chunk)
            yield chunk
        self._exchange.complete = True
        self._exchange.seconds += time.perf_counter() - self._started

    async def aclose(self) -> None:
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
        exchange.seconds = time.perf_counter() - started
        exchange.status = response.status_code
        exchange.response_headers = _redact_headers(response.headers, self.secrets)
        exchange.streamed = "text/event-stream" in response.headers.get("content-type", "")
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_TeeStream(stream, exchange),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()
