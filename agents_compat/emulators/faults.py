"""Faults a profile can give its backend: what a broken server, proxy or network does to replies.

A fault wraps any family's emulator from outside (``FaultyEmulator``), so the emulators themselves
stay correct. Each request becomes a ``Delivery``: the reply as it goes on the wire (perhaps cut,
corrupted or replaced) and where the connection pauses or is reset. The respx mount and the HTTP
server both play a Delivery through ``Delivery.writes()``, so a mocked and a served backend fail
the same way.

Faults hit POST requests, the calls that run the model. GETs (health, model list, retrieval) are
answered normally, as a slow or flaky model server still answers its health check, so a launcher's
readiness check passes and the fault shows where a user would meet it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..wire.capture import parse_sse
from .base import SSE_DONE, ApiError, Emulator, HttpReply, HttpRequest, ServerDied, sse_data

FaultKind = Literal[
    "truncated_stream",
    "no_end_event",
    "malformed_json",
    "wrong_shape",
    "html_502",
    "rate_limited",
    "server_error",
    "reset_before",
    "reset_mid",
    "slow",
    "drop_system",
    "drop_tools",
    "drop_second_call",
    "reorder_output",
]

FAULT_KINDS: dict[str, str] = {
    "truncated_stream": "a streamed reply stops halfway through an event's data line, then the stream closes",
    "no_end_event": "a streamed reply ends without data: [DONE] (chat) or response.completed (Responses)",
    "malformed_json": "a successful reply's JSON is cut in half (in a stream: one event's data)",
    "wrong_shape": 'a successful reply is valid JSON wrapped in an envelope: {"data": <reply>}',
    "html_502": "every call gets a proxy's HTML 502 Bad Gateway page",
    "rate_limited": "every call gets a 429 in the backend's own error body, with Retry-After",
    "server_error": "every call gets a 500 in the backend's own error body",
    "reset_before": "the connection is reset before any response",
    "reset_mid": "the connection is reset halfway through the response body",
    "slow": "the reply stalls for `seconds` (a stream after half its events, a plain body after its headers)",
    "drop_system": "the system prompt never reaches the model: system/developer messages and `instructions` dropped",
    "drop_tools": "the tool definitions never reach the model: `tools` (and tool_choice, parallel_tool_calls) dropped",
    "drop_second_call": "of the calls the model wrote in one turn only the first comes back (usage still counts all)",
    "reorder_output": "a Responses answer's `output` items come back reversed (in a stream: response.completed's)",
}
# The silent ones: a 200 with a plausible answer, as a careless gateway or proxy gives. Nothing on the wire
# is malformed, so the classifiers must read them from what reached the model (docs/robustness.md, "Faults").
SILENT_KINDS = ("drop_system", "drop_tools", "drop_second_call", "reorder_output")
LOUD_KINDS = tuple(kind for kind in FAULT_KINDS if kind not in SILENT_KINDS)
assert set(FAULT_KINDS) == set(get_args(FaultKind))

# nginx's built-in page (src/http/ngx_http_special_response.c), what a proxy in front of a dead backend sends.
NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
# OpenAI's wording (platform.openai.com/docs/guides/error-codes); each family shapes the body its own way.
RATE_LIMITED = "Rate limit reached for requests. Please try again in {seconds}s."
SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


class Fault(BaseModel):
    """``fault = "slow"`` or ``[profiles.X.fault]`` with ``kind`` and the kind's own settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FaultKind
    seconds: float = Field(default=30.0, gt=0, description="slow: how long the reply stalls")
    retry_after: int = Field(default=1, ge=0, description="rate_limited: the Retry-After header, in seconds")

    @model_validator(mode="before")
    @classmethod
    def _kind_alone(cls, value: Any) -> Any:
        return {"kind": value} if isinstance(value, str) else value


@dataclass(frozen=True)
class Pause:
    seconds: float


class Reset:
    """The connection is reset here (a TCP RST: nothing after it arrives)."""


RESET = Reset()


@dataclass(frozen=True)
class Delivery:
    """A reply as the wire carries it."""

    reply: HttpReply | None  # None: the connection is reset before any response
    pause_at: int | None = None  # body bytes sent before the server stalls ...
    pause: float = 0.0  # ... for this many seconds
    reset_at: int | None = None  # body bytes sent before the connection is reset

    @property
    def plain(self) -> bool:
        return self.pause_at is None and self.reset_at is None

    def writes(self) -> Iterator[bytes | Pause | Reset]:
        """The body as network writes (one per SSE chunk), with the pause and the reset at their offsets."""
        assert self.reply is not None
        marks: list[tuple[int, Pause | Reset]] = []
        if self.pause_at is not None:
            marks.append((self.pause_at, Pause(self.pause)))
        if self.reset_at is not None:
            marks.append((self.reset_at, RESET))
        marks.sort(key=lambda mark: mark[0])
        sent = 0
        for piece in self.reply.chunks if self.reply.chunks is not None else [self.reply.body]:
            while marks and marks[0][0] < sent + len(piece):
                at, mark = marks.pop(0)
                head, piece = piece[: at - sent], piece[at - sent :]
                if head:
                    yield head
                    sent += len(head)
                yield mark
                if mark is RESET:
                    return
            if piece:
                yield piece
                sent += len(piece)
        for _, mark in marks:
            yield mark
            if mark is RESET:
                return


def _body_length(reply: HttpReply) -> int:
    return sum(map(len, reply.chunks or [])) if reply.streamed else len(reply.body)


def _data_line(chunk: bytes) -> tuple[int, int]:
    """Where the JSON of an SSE chunk's data line starts and ends."""
    start = chunk.find(b"data: ") + len(b"data: ")
    end = chunk.find(b"\n", start)
    return start, end if end >= 0 else len(chunk)


def _truncated(reply: HttpReply) -> HttpReply:
    chunks = reply.chunks or []
    middle = len(chunks) // 2
    start, end = _data_line(chunks[middle])
    return replace(reply, chunks=[*chunks[:middle], chunks[middle][: (start + end) // 2]])


def _without_end(reply: HttpReply) -> HttpReply:
    def is_end(chunk: bytes) -> bool:
        data = [e["data"] for e in parse_sse(chunk.decode())]
        return any(d == "[DONE]" or (isinstance(d, dict) and d.get("type") in TERMINAL_EVENTS) for d in data)

    return replace(reply, chunks=[c for c in reply.chunks or [] if not is_end(c)])


def _malformed(reply: HttpReply) -> HttpReply:
    if not reply.streamed:
        return replace(reply, body=reply.body[: len(reply.body) // 2])
    chunks = list(reply.chunks or [])
    middle = len(chunks) // 2
    start, end = _data_line(chunks[middle])
    chunks[middle] = chunks[middle][: (start + end) // 2] + b"\n\n"  # framing intact, JSON cut
    return replace(reply, chunks=chunks)


def _wrapped(reply: HttpReply) -> HttpReply:
    if not reply.streamed:
        return replace(reply, body=json.dumps({"data": reply.payload()}).encode())
    chunks = []
    for chunk in reply.chunks or []:
        events = parse_sse(chunk.decode())
        chunks.append(
            b"".join(
                sse_data({"data": e["data"]}, e["event"]) if isinstance(e["data"], dict) else chunk for e in events
            )
        )
    return replace(reply, chunks=chunks)


def _request_without(request: HttpRequest, kind: str) -> HttpRequest:
    """The request as a gateway that drops the system prompt, or the tools, forwards it."""
    try:
        body = request.json()
    except ValueError:
        return request
    if not isinstance(body, dict):
        return request
    if kind == "drop_tools":
        body = {k: v for k, v in body.items() if k not in ("tools", "tool_choice", "parallel_tool_calls")}
    else:
        system = ("system", "developer")
        body = {k: v for k, v in body.items() if k != "instructions"}
        for key in ("messages", "input"):
            if isinstance(body.get(key), list):
                body[key] = [m for m in body[key] if not (isinstance(m, dict) and m.get("role") in system)]
    return replace(request, body=json.dumps(body).encode())


def _is_call(item: Any) -> bool:
    return isinstance(item, dict) and item.get("type") == "function_call"


def _first_call_only(output: list[Any]) -> list[Any]:
    calls = [i for i, item in enumerate(output) if _is_call(item)]
    return [item for i, item in enumerate(output) if i not in calls[1:]]


def _second_call_dropped(payload: Any) -> Any:
    """A chat completion or Responses object with only its first tool call; ``usage`` as the model counted."""
    if not isinstance(payload, dict):
        return payload
    if isinstance(payload.get("output"), list):
        return {**payload, "output": _first_call_only(payload["output"])}
    choices = payload.get("choices")
    if isinstance(choices, list):
        for choice in choices:
            message = choice.get("message") if isinstance(choice, dict) else None
            if isinstance(message, dict) and isinstance(message.get("tool_calls"), list):
                message["tool_calls"] = message["tool_calls"][:1]
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if isinstance(delta, dict) and isinstance(delta.get("tool_calls"), list):
                kept = [c for c in delta["tool_calls"] if isinstance(c, dict) and c.get("index", 0) == 0]
                if kept:
                    delta["tool_calls"] = kept
                else:
                    del delta["tool_calls"]
    return payload


def _reordered(payload: Any) -> Any:
    if isinstance(payload, dict) and isinstance(payload.get("output"), list):
        return {**payload, "output": list(reversed(payload["output"]))}
    return payload


def _rewritten_stream(reply: HttpReply, edit: Any) -> HttpReply:
    """Each event's data through ``edit``; a Responses stream also loses the events of dropped items."""
    dropped: set[int] = set()
    calls = 0
    chunks = []
    for chunk in reply.chunks or []:
        events = parse_sse(chunk.decode())
        out = b""
        for event in events:
            data = event["data"]
            if not isinstance(data, dict):
                out += SSE_DONE if data == "[DONE]" else chunk
                continue
            if edit is _second_call_dropped and data.get("type") == "response.output_item.added":
                if _is_call(data.get("item")):
                    calls += 1
                    if calls > 1:
                        dropped.add(data.get("output_index", -1))
            if data.get("output_index") in dropped:
                continue
            if isinstance(data.get("response"), dict):
                data = {**data, "response": edit(data["response"])}
            elif "choices" in data:
                data = edit(data)
            out += sse_data(data, event["event"])
        if out:
            chunks.append(out)
    return replace(reply, chunks=chunks)


def _silently(reply: HttpReply, kind: str) -> HttpReply:
    edit = _second_call_dropped if kind == "drop_second_call" else _reordered
    if not 200 <= reply.status < 300:
        return reply
    if reply.streamed:
        return _rewritten_stream(reply, edit)
    if "json" not in reply.headers.get("content-type", ""):
        return reply
    return replace(reply, body=json.dumps(edit(reply.payload())).encode())


# Faults that corrupt a successful reply; error replies pass untouched, as they would through a broken stream.
CORRUPTIONS = {
    "truncated_stream": (_truncated, True),
    "no_end_event": (_without_end, True),
    "malformed_json": (_malformed, False),
    "wrong_shape": (_wrapped, False),
}


class FaultyEmulator:
    """An emulator seen through a fault: ``deliver(request)`` is what the wire carries back."""

    def __init__(self, emulator: Emulator, fault: Fault | None = None):
        self.emulator, self.fault = emulator, fault

    def deliver(self, request: HttpRequest) -> Delivery:
        try:
            return self._deliver(request)
        except ServerDied:  # the modelled server crashed on this request: nothing comes back
            return Delivery(None)

    def _deliver(self, request: HttpRequest) -> Delivery:
        fault = self.fault
        if fault is None or request.method != "POST":
            return Delivery(self.emulator.handle(request))
        if fault.kind == "reset_before":
            return Delivery(None)
        if fault.kind == "html_502":
            return Delivery(HttpReply(502, NGINX_502, {"content-type": "text/html"}))
        if fault.kind == "rate_limited":
            reply = self.emulator.error_reply(ApiError(429, RATE_LIMITED.format(seconds=fault.retry_after)))
            return Delivery(replace(reply, headers={**reply.headers, "retry-after": str(fault.retry_after)}))
        if fault.kind == "server_error":
            return Delivery(self.emulator.error_reply(ApiError(500, SERVER_ERROR)))
        if fault.kind in ("drop_system", "drop_tools"):
            return Delivery(self.emulator.handle(_request_without(request, fault.kind)))
        reply = self.emulator.handle(request)
        if fault.kind in ("drop_second_call", "reorder_output"):
            return Delivery(_silently(reply, fault.kind))
        if fault.kind == "slow":
            first_half = (reply.chunks or [])[: len(reply.chunks or []) // 2]
            return Delivery(reply, pause_at=sum(map(len, first_half)), pause=fault.seconds)
        if fault.kind == "reset_mid":
            return Delivery(reply, reset_at=_body_length(reply) // 2)
        corrupt, streams_only = CORRUPTIONS[fault.kind]
        json_body = "json" in reply.headers.get("content-type", "")
        if 200 <= reply.status < 300 and (reply.streamed or (json_body and not streams_only)):
            reply = corrupt(reply)
        return Delivery(reply)
