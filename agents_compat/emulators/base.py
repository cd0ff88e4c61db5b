"""What every emulator is: a function from an HTTP request to an HTTP reply (or an SSE stream).

Emulators see only the request, like a real server. Their constructor takes the server's own
configuration (the models it has, flags, an upstream), never a profile's expectations.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value[7:] if value.lower().startswith("bearer ") else None


@dataclass
class HttpReply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] | None = None  # an SSE stream, one network write per chunk

    @classmethod
    def json(cls, status: int, payload: Any) -> HttpReply:
        return cls(status, json.dumps(payload).encode(), {"content-type": "application/json"})

    @classmethod
    def sse(cls, chunks: Iterable[bytes]) -> HttpReply:
        return cls(200, b"", {"content-type": "text/event-stream", "cache-control": "no-cache"}, list(chunks))

    @property
    def streamed(self) -> bool:
        return self.chunks is not None

    def payload(self) -> Any:
        """The JSON body, for emulators that call another emulator (a gateway and its upstream)."""
        return json.loads(self.body) if self.body else None


def sse_data(payload: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(payload)}\n\n".encode()


SSE_DONE = b"data: [DONE]\n\n"


class ApiError(Exception):
    """Raised inside an emulator; the family's ``error_reply`` turns it into that backend's error body."""

    def __init__(
        self, status: int, message: str, *, kind: str | None = None, param: str | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.status, self.message, self.kind, self.param, self.code = status, message, kind, param, code


Handler = Callable[[HttpRequest, re.Match[str]], HttpReply]


class Faults:
    """Errors a scenario asks for (a 429, a 500): the next request gets one, in the backend's own error body.

    Real backends cannot be made to rate-limit on demand; the emulator's ``error_reply`` still shapes the
    body exactly as that backend would, so what reaches the SDK is what the backend would send.
    """

    def __init__(self) -> None:
        self.pending: list[tuple[int, str]] = []

    def inject(self, status: int, message: str) -> None:
        self.pending.append((status, message))


class Emulator:
    """Routes requests to handlers and turns ``ApiError`` into the backend's own error body."""

    family: ClassVar[str]

    def __init__(self, model: str, options: Mapping[str, Any] | None = None):
        self.options = dict(options or {})
        self.models: list[str] = list(self.options.get("models", [model]))
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._ids = itertools.count(1)
        self._lock = threading.RLock()  # the served emulator handles requests on several threads

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(pattern + r"/?$"), handler))

    def next_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}{next(self._ids):06d}"

    def handle(self, request: HttpRequest) -> HttpReply:
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                try:
                    with self._lock:
                        return handler(request, match)
                except ApiError as exc:
                    return self.error_reply(exc)
            allowed = allowed or bool(match)
        if allowed:
            return self.error_reply(ApiError(405, f"method {request.method} not allowed"))
        return self.not_found(request)

    def not_found(self, request: HttpRequest) -> HttpReply:
        return self.error_reply(ApiError(404, f"{request.method} {request.path} not found"))

    def error_reply(self, error: ApiError) -> HttpReply:  # overridden by every family
        return HttpReply.json(error.status, {"error": {"message": error.message}})

    def read_json(self, request: HttpRequest) -> dict[str, Any]:
        try:
            body = request.json()
        except ValueError as exc:
            raise ApiError(400, f"invalid JSON body: {exc}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "request body must be a JSON object")
        fields = next((f for suffix, f in REQUEST_FIELDS.items() if request.path.rstrip("/").endswith(suffix)), {})
        for name, allowed in fields.items():
            check_type(body.get(name), allowed, name)
        return body


# The top-level fields each API reads, with the JSON types OpenAI's API reference gives them.
_RESPONSES_FIELDS: dict[str, tuple[type, ...]] = {
    "model": (str,),
    "input": (str, list),
    "instructions": (str,),
    "tools": (list,),
    "tool_choice": (str, dict),
    "text": (dict,),
    "previous_response_id": (str,),
    "conversation": (str, dict),
    "metadata": (dict,),
}
REQUEST_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "/chat/completions": {
        "model": (str,),
        "messages": (list,),
        "tools": (list,),
        "tool_choice": (str, dict),
        "response_format": (dict,),
        "stream_options": (dict,),
    },
    "/responses": _RESPONSES_FIELDS,
    "/responses/input_tokens": _RESPONSES_FIELDS,
    "/responses/compact": _RESPONSES_FIELDS,
    "/conversations": {"items": (list,), "metadata": (dict,)},
}
JSON_TYPES = {
    str: "a string",
    list: "an array",
    dict: "an object",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
}


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    return next((name for kind, name in JSON_TYPES.items() if isinstance(value, kind)), "null")


class ServerDied(Exception):
    """The real server's process terminates on this request: nothing is sent and the connection closes.

    Raised by a family that models such a crash; the wire (emulators/faults.py) turns it into a connection closed
    before any response, and the emulator itself answers the next request, as a restarted server would."""


def check_type(value: Any, allowed: tuple[type, ...], param: str) -> Any:
    """``value`` if it is one of ``allowed`` (or absent), else OpenAI's 400 for a field of the wrong type."""
    if value is None or (isinstance(value, allowed) and (bool in allowed or not isinstance(value, bool))):
        return value
    expected = " or ".join(JSON_TYPES[kind] for kind in allowed)
    raise ApiError(
        400,
        f"Invalid type for '{param}': expected {expected}, but got {json_type(value)} instead.",
        kind="invalid_request_error",
        param=param,
        code="invalid_type",
    )
