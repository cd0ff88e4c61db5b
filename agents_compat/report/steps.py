"""A scenario's steps as people read them: per HTTP exchange, what the SDK sent and what came back.

Reports keep the full exchange; this is the one-line headline above it, so a reader can follow a
multi-turn scenario (turn 1, tool result, turn 2) without opening every body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpx

from ..judging import evidence
from ..wire.capture import Exchange

LIMIT = 140


@dataclass(frozen=True)
class Step:
    request: str  # "POST /v1/responses"
    status: int | None  # None when the connection failed before a response
    sent: str  # the last thing the SDK said: a user message or a tool result ("" for a GET)
    received: str  # the text, tool call or error the backend answered


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LIMIT else text[: LIMIT - 1] + "…"


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return json.dumps(content)


def _sent(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    items = body.get("messages") or body.get("input") or body.get("items")
    if isinstance(items, str):
        return f"user: {_clip(items)}"
    if not isinstance(items, list) or not items or not isinstance(items[-1], dict):
        return ""
    last = items[-1]
    if last.get("type") == "function_call_output" or last.get("role") == "tool":
        return f"tool result: {_clip(_text(last.get('output', last.get('content'))))}"
    if "content" in last:
        return f"{last.get('role', 'user')}: {_clip(_text(last['content']))}"
    return f"{last.get('type', 'item')}"


def _received(exchange: Exchange) -> str:
    if exchange.status is None:
        return ""
    error = evidence.response_error(exchange) if exchange.status >= 400 else None
    if error:
        return f"error: {_clip(error)}"
    calls = evidence.tool_calls(exchange)
    if calls:
        return "calls " + ", ".join(_clip(f"{c.name}({c.arguments})") for c in calls)
    texts = [t for t in evidence.texts(exchange) if t]
    if texts:
        return f"answered: {_clip(' '.join(texts))}"
    if exchange.streamed:
        return f"{len(exchange.events)} stream events, no text"
    body = exchange.response_body
    if isinstance(body, dict) and "id" in body:
        return f"{body.get('object', 'object')} {body['id']}"
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return f"a list of {len(body['data'])} items"
    return ""


@lru_cache(maxsize=1024)  # a report repeats a few URLs hundreds of times; a site of many runs, thousands
def _path(url: str) -> str:
    return httpx.URL(url).path


def step(data: dict[str, Any]) -> Step:
    exchange = Exchange.from_json(data)
    return Step(
        request=f"{exchange.method} {_path(exchange.url)}",
        status=exchange.status,
        sent=_sent(exchange.request_body),
        received=_received(exchange),
    )
