"""Read the captured wire: what the backend actually answered, independent of what the SDK made of it.

Every helper accepts both API flavours (Chat Completions and Responses) and both body kinds
(a JSON object or a list of SSE events), so classifiers need not care which one a profile uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .wire import Exchange


@dataclass(frozen=True)
class WireCall:
    name: str
    arguments: str


@dataclass(frozen=True)
class WireUsage:
    input_tokens: int
    output_tokens: int


def _chunks(exchange: Exchange) -> list[dict[str, Any]]:
    return [e["data"] for e in exchange.events if isinstance(e.get("data"), dict)]


def _responses_final(exchange: Exchange) -> dict[str, Any] | None:
    """The response object: the JSON body, or response.completed's (output rebuilt from items if empty)."""
    body = exchange.response_body
    if not exchange.streamed:
        return body if isinstance(body, dict) and body.get("object") == "response" else None
    final, items = None, []
    for data in _chunks(exchange):
        if data.get("type") == "response.output_item.done":
            items.append(data.get("item") or {})
        elif data.get("type") in ("response.completed", "response.incomplete", "response.failed"):
            final = dict(data.get("response") or {})
    if final is not None and not final.get("output"):
        final["output"] = items
    return final


def texts(exchange: Exchange) -> list[str]:
    """Assistant text the backend sent in this response."""
    final = _responses_final(exchange)
    if final is not None:
        return [
            "".join(part.get("text", "") for part in item.get("content") or [])
            for item in final.get("output") or []
            if item.get("type") == "message"
        ]
    if exchange.streamed:
        pieces = [
            (c.get("delta") or {}).get("content") or "" for data in _chunks(exchange) for c in data.get("choices") or []
        ]
        joined = "".join(pieces)
        return [joined] if joined else []
    body = exchange.response_body
    if isinstance(body, dict) and body.get("choices"):
        content = (body["choices"][0].get("message") or {}).get("content")
        return [content] if content else []
    return []


def tool_calls(exchange: Exchange) -> list[WireCall]:
    """Function calls the backend asked for in this response."""
    final = _responses_final(exchange)
    if final is not None:
        return [
            WireCall(i.get("name", ""), i.get("arguments", ""))
            for i in final.get("output") or []
            if i.get("type") == "function_call"
        ]
    if exchange.streamed:
        calls: dict[int, dict[str, str]] = {}
        for data in _chunks(exchange):
            for choice in data.get("choices") or []:
                for delta in (choice.get("delta") or {}).get("tool_calls") or []:
                    slot = calls.setdefault(delta.get("index", 0), {"name": "", "arguments": ""})
                    function = delta.get("function") or {}
                    slot["name"] += function.get("name") or ""
                    slot["arguments"] += function.get("arguments") or ""
        return [WireCall(c["name"], c["arguments"]) for _, c in sorted(calls.items())]
    body = exchange.response_body
    if isinstance(body, dict) and body.get("choices"):
        message = body["choices"][0].get("message") or {}
        return [
            WireCall(c["function"]["name"], c["function"].get("arguments", "")) for c in message.get("tool_calls") or []
        ]
    return []


def usage(exchange: Exchange) -> WireUsage | None:
    final = _responses_final(exchange)
    raw = None
    if final is not None:
        raw = final.get("usage")
    elif exchange.streamed:
        raw = next((d["usage"] for d in reversed(_chunks(exchange)) if d.get("usage")), None)
    elif isinstance(exchange.response_body, dict):
        raw = exchange.response_body.get("usage")
    if not isinstance(raw, dict):
        return None
    inp = raw.get("input_tokens", raw.get("prompt_tokens"))
    out = raw.get("output_tokens", raw.get("completion_tokens"))
    return WireUsage(int(inp), int(out or 0)) if isinstance(inp, int) else None


def request_schema(exchange: Exchange) -> dict[str, Any] | None:
    """The JSON schema the request asked the backend to enforce, if any."""
    body = exchange.request_body if isinstance(exchange.request_body, dict) else {}
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema")
    fmt = (body.get("text") or {}).get("format") or {}
    return fmt.get("schema") if fmt.get("type") == "json_schema" else None


def request_field(exchange: Exchange, name: str) -> Any:
    body = exchange.request_body
    return body.get(name) if isinstance(body, dict) else None


def mentions(value: Any, needle: str) -> bool:
    return needle in (value if isinstance(value, str) else json.dumps(value))


def response_error(exchange: Exchange) -> str | None:
    """The backend's error message, whatever its body shape ({"error": {...}}, {"error": "..."}, {"detail"})."""
    body = exchange.response_body
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body.get("message")))
        if isinstance(error, dict):
            return str(error.get("message") or json.dumps(error))
        if error:
            return str(error)
    if isinstance(body, str) and body.strip():
        return body.strip()[:200]
    return None


def argument_pieces(exchange: Exchange) -> list[int]:
    """For a streamed response: how many non-empty argument deltas each function call arrived in."""
    pieces: dict[Any, int] = {}
    for data in _chunks(exchange):
        if data.get("type") == "response.function_call_arguments.delta" and data.get("delta"):
            key = data.get("item_id", data.get("output_index"))
            pieces[key] = pieces.get(key, 0) + 1
        for choice in data.get("choices") or []:
            for delta in (choice.get("delta") or {}).get("tool_calls") or []:
                if (delta.get("function") or {}).get("arguments"):
                    pieces[delta.get("index", 0)] = pieces.get(delta.get("index", 0), 0) + 1
    return list(pieces.values())
