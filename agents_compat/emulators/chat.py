"""The Chat Completions wire format: request -> brain Turn, Decision -> completion or chunk stream.

Families differ only in the ``ChatQuirks`` they pass; each quirk names where it was observed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, Literal

from . import brain
from .base import SSE_DONE, ApiError, HttpReply, check_type, sse_data


@dataclass(frozen=True)
class ChatQuirks:
    tool_choice: Literal["all", "strings", "ignored"] = "all"  # which tool_choice forms are honoured
    parallel_tool_calls_false: bool = True  # is parallel_tool_calls=false honoured
    response_format: Literal["enforced", "ignored"] = "enforced"
    stream_tool_calls: Literal["pieces", "whole"] = "pieces"
    # where a stream's usage goes: its own chunk (asked for, always, never), or on the finish chunk
    # whether asked for or not (llama.cpp 4227c9b: tools/server/server.cpp, to_json_oaicompat_chat_stream)
    usage_chunk: Literal["requested", "always", "never", "on_finish"] = "requested"
    id_prefix: str = "chatcmpl-"
    system_fingerprint: str | None = None
    timings: bool = False  # llama.cpp: a "timings" object on completions, finish chunks and usage chunks
    timings_cache_n: bool = True  # its "cache_n" (0c1e570; 4227c9b's result_timings has none)
    choice_logprobs: bool = True  # a "logprobs": null on every choice (Ollama and llama.cpp send none)
    cached_details: bool = False  # usage.prompt_tokens_details.cached_tokens (llama.cpp)
    message_call_index: bool = False  # an "index" on each tool call of a non-streamed message (Ollama)
    # Where the model's <think> reasoning goes: a message field of that name (a server whose parser extracts
    # it), "content" (left in the text as the model wrote it: no parser for this template), "hidden" (never
    # shown: OpenAI's reasoning tokens on Chat Completions). docs/backends.md says which server does which.
    reasoning: Literal["reasoning_content", "reasoning", "content", "hidden"] = "content"
    # Are a tool's arguments decoded under its parameters schema: when the tool says strict (OpenAI), always
    # (a grammar built from every tool's schema: llama.cpp), or never (the model writes them freely)
    tool_arguments: Literal["strict", "always", "never"] = "strict"
    # response_format next to tools: enforced on the answer after the calls, or from the first token of every
    # turn, so no call can be written (Ollama's format grammar)
    schema_with_tools: Literal["after_calls", "forced"] = "after_calls"


def text_of(content: Any, param: str = "messages") -> str:
    """A message's text: a string, or the text parts of a content array."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text", "") for p in content if isinstance(p, dict)]
        if all(isinstance(t, str) for t in texts):
            return "".join(texts)
    raise ApiError(400, "message content must be a string or an array of content parts", param=param)


def parse_messages(messages: Any) -> list[brain.Message]:
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty array", param="messages")
    parsed = []
    for item in messages:
        if not isinstance(item, dict) or item.get("role") not in ("system", "developer", "user", "assistant", "tool"):
            raise ApiError(
                400, "each message needs a role of system, developer, user, assistant or tool", param="messages"
            )
        role = "system" if item["role"] == "developer" else item["role"]
        calls = [_tool_call(c) for c in check_type(item.get("tool_calls"), (list,), "messages.tool_calls") or []]
        call_id = check_type(item.get("tool_call_id"), (str,), "messages.tool_call_id")
        parsed.append(brain.Message(role, text_of(item.get("content")), calls, call_id))
    return parsed


def _tool_call(call: Any) -> brain.ToolCall:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict):
        raise ApiError(400, "each tool call needs a 'function' object", param="messages.tool_calls")
    fields = [check_type(call.get("id"), (str,), "messages.tool_calls.id")]
    fields += [check_type(function.get(k), (str,), f"messages.tool_calls.function.{k}") for k in ("name", "arguments")]
    return brain.ToolCall(*(f or "" for f in fields))


def parse_tools(tools: Any, arguments: str = "strict") -> list[brain.ToolSpec]:
    """``arguments``: when the backend decodes a call's arguments under the tool's schema (ChatQuirks.tool_arguments)"""
    specs = []
    for tool in tools or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not function.get("name") or not isinstance(function["name"], str):
            raise ApiError(400, "each tool needs type 'function' and a function name", param="tools")
        parameters = check_type(function.get("parameters"), (dict,), "tools.function.parameters") or {}
        description = check_type(function.get("description"), (str,), "tools.function.description") or ""
        strict = check_type(function.get("strict"), (bool,), "tools.function.strict") is True
        constrained = arguments == "always" or (arguments == "strict" and strict)
        specs.append(brain.ToolSpec(function["name"], parameters, description, constrained))
    return specs


def tool_choice_of(value: Any, honoured: str) -> str:
    if value is None or honoured == "ignored":
        return "auto"
    if isinstance(value, str):
        return value
    if honoured == "all" and isinstance(value, dict):
        function = value.get("function")
        name = (function.get("name") if isinstance(function, dict) else None) or value.get("name")
        return f"function:{name}" if isinstance(name, str) and name else "auto"
    return "auto"


def schema_of_response_format(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    if value.get("type") == "json_schema":
        spec = check_type(value.get("json_schema"), (dict,), "response_format.json_schema") or {}
        return check_type(spec.get("schema"), (dict,), "response_format.json_schema.schema") or {"type": "object"}
    if value.get("type") == "json_object":
        return {"type": "object"}
    return None


class ChatCompletions:
    def __init__(self, quirks: ChatQuirks, next_id: Any):
        self.quirks = quirks
        self.next_id = next_id

    def turn(self, body: dict[str, Any]) -> brain.Turn:
        q = self.quirks
        return brain.Turn(
            messages=parse_messages(body.get("messages")),
            tools=parse_tools(body.get("tools"), q.tool_arguments),
            tool_choice=tool_choice_of(body.get("tool_choice"), q.tool_choice),
            schema=schema_of_response_format(body.get("response_format")) if q.response_format == "enforced" else None,
            parallel_tool_calls=body.get("parallel_tool_calls") is not False or not q.parallel_tool_calls_false,
            schema_forced=q.schema_with_tools == "forced",
        )

    def decide(self, body: dict[str, Any]) -> tuple[brain.Decision, dict[str, int]]:
        """What the scripted model answers to ``body``, and the usage of that turn."""
        turn = self.turn(body)
        decision = brain.decide(turn)
        usage = _usage(turn, decision)  # reasoning is output the model wrote, wherever the server puts it
        if self.quirks.reasoning == "content":
            decision = brain.with_think_tags(decision)
        elif self.quirks.reasoning == "hidden":
            decision = replace(decision, reasoning=None)
        return decision, usage

    def reply(self, body: dict[str, Any], model: str) -> HttpReply:
        decision, usage = self.decide(body)
        completion_id = self.next_id(self.quirks.id_prefix)
        if body.get("stream"):
            include = bool((body.get("stream_options") or {}).get("include_usage"))
            return HttpReply.sse(self.chunks(decision, model, completion_id, usage, include))
        return HttpReply.json(200, self.completion(decision, model, completion_id, usage))

    def completion(
        self, decision: brain.Decision, model: str, completion_id: str, usage: dict[str, int]
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": decision.text}
        if decision.reasoning:
            message[self.reasoning_field] = decision.reasoning
        if decision.tool_calls:
            message["tool_calls"] = [_call_json(c) for c in decision.tool_calls]
            if self.quirks.message_call_index:
                message["tool_calls"] = [{"id": c["id"], "index": i} | c for i, c in enumerate(message["tool_calls"])]
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": self.quirks.system_fingerprint,
            "choices": [
                self._choice({"index": 0, "message": message, "finish_reason": _finish(decision), "logprobs": None})
            ],
            "usage": self._usage(usage),
        } | self._timings(usage)

    @property
    def reasoning_field(self) -> str:
        """The message field reasoning rides in (a decision keeps reasoning only where the quirk names one)."""
        return self.quirks.reasoning if self.quirks.reasoning in ("reasoning_content", "reasoning") else "reasoning"

    def _timings(self, usage: dict[str, int]) -> dict[str, Any]:
        if not self.quirks.timings:
            return {}
        timings = llamacpp_timings(usage)
        if not self.quirks.timings_cache_n:
            del timings["cache_n"]
        return {"timings": timings}

    def _choice(self, choice: dict[str, Any]) -> dict[str, Any]:
        return choice if self.quirks.choice_logprobs else {k: v for k, v in choice.items() if k != "logprobs"}

    def _usage(self, usage: dict[str, int]) -> dict[str, Any]:
        return {**usage, "prompt_tokens_details": {"cached_tokens": 0}} if self.quirks.cached_details else usage

    def chunks(
        self, decision: brain.Decision, model: str, completion_id: str, usage: dict[str, int], include_usage: bool
    ) -> list[bytes]:
        payloads = self.chunk_payloads(decision, model, completion_id, usage, include_usage)
        return [sse_data(p) for p in payloads] + [SSE_DONE]

    def chunk_payloads(
        self, decision: brain.Decision, model: str, completion_id: str, usage: dict[str, int], include_usage: bool
    ) -> list[dict[str, Any]]:
        """The stream's chunks as objects, before the ``data: [DONE]`` that ends it."""
        created = int(time.time())
        mode = self.quirks.usage_chunk
        usage_chunk = mode == "always" or (mode == "requested" and include_usage)  # timings ride on the last chunk

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return (
                {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "system_fingerprint": self.quirks.system_fingerprint,
                    "choices": [self._choice({"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None})],
                }
                | ({"usage": self._usage(usage)} if finish and mode == "on_finish" else {})
                | (self._timings(usage) if finish and not usage_chunk else {})
            )

        out = [chunk({"role": "assistant", "content": ""})]
        for piece in split_text(decision.reasoning or ""):
            out.append(chunk({self.reasoning_field: piece}))
        for piece in split_text(decision.text or ""):
            out.append(chunk({"content": piece}))
        for index, call in enumerate(decision.tool_calls):
            if self.quirks.stream_tool_calls == "whole":
                out.append(chunk({"tool_calls": [{"index": index, **_call_json(call)}]}))
                continue
            head = {"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
            out.append(chunk({"tool_calls": [head]}))
            for piece in split_arguments(call.arguments):
                out.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
        out.append(chunk({}, _finish(decision)))
        if usage_chunk:
            out.append(
                {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "system_fingerprint": self.quirks.system_fingerprint,
                    "choices": [],
                    "usage": self._usage(usage),
                }
                | self._timings(usage)
            )
        return out


def llamacpp_timings(usage: dict[str, Any], cached: int = 0) -> dict[str, Any]:
    """llama.cpp's "timings" object (server-context.cpp), at made-up but consistent speeds."""
    prompt = int(usage.get("input_tokens", usage.get("prompt_tokens", 0)) or 0)
    predicted = int(usage.get("output_tokens", usage.get("completion_tokens", 0)) or 0)
    return {
        "cache_n": cached,
        "prompt_n": prompt,
        "prompt_ms": prompt * 5.0,
        "prompt_per_token_ms": 5.0,
        "prompt_per_second": 200.0,
        "predicted_n": predicted,
        "predicted_ms": predicted * 10.0,
        "predicted_per_token_ms": 10.0,
        "predicted_per_second": 100.0,
    }


def _usage(turn: brain.Turn, decision: brain.Decision) -> dict[str, int]:
    prompt, completion = brain.prompt_tokens(turn), brain.decision_tokens(decision)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _call_json(call: brain.ToolCall) -> dict[str, Any]:
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}


def _finish(decision: brain.Decision) -> str:
    return "tool_calls" if decision.tool_calls else "stop"


def split_text(text: str) -> list[str]:
    """Word-sized deltas that join back to ``text`` exactly."""
    pieces, current = [], ""
    for char in text:
        current += char
        if char == " ":
            pieces.append(current)
            current = ""
    return pieces + ([current] if current else [])


def split_arguments(arguments: str, size: int = 8) -> list[str]:
    return [arguments[i : i + size] for i in range(0, len(arguments), size)] or [""]


def decision_from_completion(payload: dict[str, Any]) -> brain.Decision:
    """Read a completion back into a Decision (a gateway translating its upstream's answer)."""
    message = payload["choices"][0]["message"]
    calls = tuple(
        brain.ToolCall(c["id"], c["function"]["name"], c["function"]["arguments"])
        for c in message.get("tool_calls") or []
    )
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    return brain.Decision(message.get("content"), calls, reasoning if isinstance(reasoning, str) else None)
