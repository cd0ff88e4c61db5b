"""Responses served by translating to an upstream's Chat Completions (how gateways serve chat-only models).

GoModel (for ollama-type and other chat providers) and LiteLLM (for chat providers) both do this.
The upstream is another emulator, so its quirks (an ignored tool_choice, tool calls sent whole)
survive the translation exactly as they would behind a real gateway.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..wire.capture import parse_sse
from . import brain
from .base import ApiError, Emulator, HttpReply, HttpRequest
from .chat import decision_from_completion
from .responses import (
    ResponsesQuirks,
    StreamPlan,
    output_items,
    parse_input,
    response_events,
    response_object,
    usage_of,
)


def chat_request(body: dict[str, Any], upstream_model: str, response_format: bool = True) -> dict[str, Any]:
    """The Chat Completions request a gateway sends upstream for a Responses request.

    ``response_format``: whether the gateway translates ``text.format`` (a JSON schema) at all.
    """
    messages: list[dict[str, Any]] = []
    if body.get("instructions"):
        messages.append({"role": "system", "content": body["instructions"]})
    for message in parse_input(body.get("input"))[0]:
        if message.role == "tool":
            messages.append({"role": "tool", "tool_call_id": message.tool_call_id, "content": message.text})
        elif message.tool_calls:
            messages.append(
                {
                    "role": "assistant",
                    "content": message.text or None,
                    "tool_calls": [
                        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                        for c in message.tool_calls
                    ],
                }
            )
        else:
            messages.append({"role": message.role, "content": message.text})
    chat: dict[str, Any] = {"model": upstream_model, "messages": messages}
    tools = [
        {"type": "function", "function": {k: t[k] for k in ("name", "description", "parameters") if k in t}}
        for t in body.get("tools") or []
        if isinstance(t, dict) and t.get("type") == "function"
    ]
    if tools:
        chat["tools"] = tools
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("name"):
        chat["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
    elif isinstance(choice, str):
        chat["tool_choice"] = choice
    if "parallel_tool_calls" in body:
        chat["parallel_tool_calls"] = body["parallel_tool_calls"]
    fmt = (body.get("text") or {}).get("format")
    if response_format and isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        chat["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": fmt.get("name", "output"),
                "schema": fmt.get("schema", {}),
                "strict": fmt.get("strict", False),
            },
        }
    effort = (body.get("reasoning") or {}).get("effort") if isinstance(body.get("reasoning"), dict) else None
    if effort:  # LiteLLM and GoModel both pass the effort on (Ollama reads it as think)
        chat["reasoning_effort"] = effort
    if body.get("stream"):
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}
    return chat


def _plan_from_chunks(reply: HttpReply) -> tuple[brain.Decision, StreamPlan, dict[str, int] | None]:
    text_deltas: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    usage = None
    for event in parse_sse(b"".join(reply.chunks or []).decode()):
        data = event["data"]
        if not isinstance(data, dict):
            continue
        usage = data.get("usage") or usage
        for choice in data.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                text_deltas.append(delta["content"])
            for part in delta.get("tool_calls") or []:
                slot = calls.setdefault(part.get("index", 0), {"id": "", "name": "", "deltas": []})
                slot["id"] = part.get("id") or slot["id"]
                function = part.get("function") or {}
                slot["name"] += function.get("name") or ""
                if function.get("arguments"):
                    slot["deltas"].append(function["arguments"])
    ordered = [calls[i] for i in sorted(calls)]
    decision = brain.Decision(
        "".join(text_deltas) if text_deltas or not ordered else None,
        tuple(brain.ToolCall(c["id"], c["name"], "".join(c["deltas"])) for c in ordered),
    )
    plan = StreamPlan(text_deltas or ([""] if decision.text is not None else None), [c["deltas"] for c in ordered])
    return decision, plan, usage


@dataclass
class Translated:
    """A finished translation: the response object, and how to stream it."""

    response: dict[str, Any]
    plan: StreamPlan | None  # None when the request was not streamed


def translate(
    body: dict[str, Any],
    upstream: Emulator,
    upstream_model: str,
    model: str,
    next_id: Callable[[str], str],
    response_format: bool = True,
    reasoning: ResponsesQuirks | None = None,
) -> Translated:
    """Send ``body`` (a Responses request) upstream as Chat Completions; raise ApiError on upstream errors.

    ``reasoning``: how the gateway writes the upstream's reasoning as an output item; None drops it.
    """
    chat = chat_request(body, upstream_model, response_format)
    reply = upstream.handle(HttpRequest("POST", "/v1/chat/completions", {}, dumps(chat)))
    if reply.status >= 400:
        payload = reply.payload() or {}
        error = payload.get("error", payload)
        message = error.get("message", str(error)) if isinstance(error, dict) else str(error)
        raise ApiError(reply.status, message)
    if reply.streamed:
        decision, plan, usage = _plan_from_chunks(reply)
    else:
        payload = reply.payload()
        decision, plan, usage = decision_from_completion(payload), None, payload.get("usage")
    usage = usage or {}
    response = response_object(
        next_id("resp_"),
        model,
        body,
        output_items(decision, next_id, reasoning, tuple(body.get("include") or ())),
        usage_of(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)),
    )
    return Translated(response, plan)


def reply_for(translated: Translated, quirks: ResponsesQuirks) -> HttpReply:
    if translated.plan is None:
        return HttpReply.json(200, translated.response)
    return HttpReply.sse(response_events(translated.response, translated.plan, quirks))


def dumps(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()
