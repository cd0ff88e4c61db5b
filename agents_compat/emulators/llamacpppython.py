"""llama-cpp-python's own server (``python -m llama_cpp.server``), measured here with 0.3.36 (llama.cpp 0c1e570).

A different server from llama.cpp's llama-server: FastAPI around the Python bindings. Quirks modelled
(docs/backends.md, "llama-cpp-python's server"; its source: llama_cpp/server/app.py, errors.py, types.py,
llama_types.py and llama_chat_format.py; and the live recordings in fixtures/cassettes/llama-cpp-python-chat):
- Chat Completions only: /v1/responses and every other unknown route get FastAPI's 404 {"detail": "Not Found"};
- every failure inside a route, request validation included, is a 500 {"error": {"message", "type":
  "internal_server_error", "param": null, "code": null}} (errors.py, RouteErrorHandler), never a 400;
- response_format takes "text" and "json_object" only (ChatCompletionRequestResponseFormat): json_schema, as
  the SDK sends an output_type, is a 500;
- an assistant message's content must be a string (ChatCompletionRequestAssistantMessage): the SDK's
  tool-call turn, content null, is a 500;
- tools reach the chat template, but a tool call comes back only for a named tool_choice, whose parameters
  become a grammar (chat_formatter_to_chat_completion_handler); with "auto" or "required" the model's text
  comes back as text;
- a named tool call carries the legacy function_call beside tool_calls, content null, id
  "call__0_<name>_<completion id>" (_convert_completion_to_chat_function);
- streams: a role chunk, content chunks, a finish chunk with an empty delta, then [DONE]; no usage chunk
  (stream_options is not read); no system_fingerprint anywhere;
- the model name is not checked (LlamaProxy falls back to its one model) and is echoed back;
- /v1/models lists the alias with owned_by "me" and an empty permissions list.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from . import brain
from .base import SSE_DONE, ApiError, HttpReply, HttpRequest, sse_data
from .chat import ChatCompletions, ChatQuirks, split_text
from .engine import ModelServer

# The request fields pydantic checks before the route runs (types.py CreateChatCompletionRequest).
RESPONSE_FORMATS = ("text", "json_object")


# The request is read as any chat server reads it; what comes back is shaped below, as this server shapes it.
QUIRKS = ChatQuirks(tool_choice="all", parallel_tool_calls_false=False, usage_chunk="never")


class LlamaCppPythonEmulator(ModelServer):
    family = "llama-cpp-python"
    owned_by = "me"
    chat_quirks = None  # its own route below
    responses_quirks = None  # no /v1/responses

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        super().__init__(model, options)
        self.route("POST", r"/v1/chat/completions", self._chat_completion)

    def not_found(self, request: HttpRequest) -> HttpReply:
        return HttpReply.json(404, {"detail": "Not Found"})  # FastAPI's own answer

    invalid_request_status = 500  # its route handler answers every refusal of a request with a 500

    def error_reply(self, error: ApiError) -> HttpReply:
        status = self.invalid_request_status if error.status == 400 else error.status
        kind = "internal_server_error" if status >= 500 else "invalid_request_error"
        return HttpReply.json(status, {"error": {"message": error.message, "type": kind, "param": None, "code": None}})

    def check_model(self, body: dict[str, Any]) -> str:
        return str(body.get("model") or self.models[0])  # never checked; echoed back

    def _models(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        data = [{"id": m, "object": "model", "owned_by": self.owned_by, "permissions": []} for m in self.models]
        return HttpReply.json(200, {"object": "list", "data": data})

    def _chat_completion(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        body = self.read_json(request)
        _validate(body)
        named = body.get("tool_choice") if isinstance(body.get("tool_choice"), dict) else None
        if named is not None:
            name = (named.get("function") or {}).get("name")
            if name not in {(t.get("function") or {}).get("name") for t in body.get("tools") or []}:
                raise ApiError(500, f"Tool choice '{name}' not found in tools.")
        # only a named tool_choice makes a tool call (its grammar); otherwise the model writes text
        turn_body = body if named is not None else {**body, "tool_choice": "none"}
        chat = ChatCompletions(QUIRKS, self.next_id)
        turn = chat.turn(turn_body)
        # no reasoning parser anywhere in its chat handlers: <think> tags stay in the text
        decision = brain.with_think_tags(brain.decide(turn))
        prompt, completion = brain.prompt_tokens(turn), brain.decision_tokens(decision)
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        completion_id = f"cmpl-{uuid.UUID(int=int(self.next_id('')))}"
        model = self.check_model(body)
        if body.get("stream"):
            return HttpReply.sse(_chunks(decision, model, completion_id))
        return HttpReply.json(200, _completion(decision, model, completion_id, usage))


def _validate(body: dict[str, Any]) -> None:
    """What pydantic refuses before the route runs; the route handler turns it into a 500."""
    problems: list[tuple[str | int, ...]] = []  # pydantic's location of the error, then its message
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") not in RESPONSE_FORMATS:
        problems.append(("response_format", "type", "Input should be 'text' or 'json_object'"))
    # CreateChatCompletionRequest.tools is Optional[List[ChatCompletionTool]] (a non-list is refused earlier).
    for n, tool in enumerate(body.get("tools") or []):
        if not isinstance(tool, dict):
            problems.append(("tools", n, "Input should be a valid dictionary or object to extract fields from"))
    for n, message in enumerate(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "assistant" and "content" in message:
            if not isinstance(message["content"], str):
                problems.append(("messages", n, "content", "Input should be a valid string"))
    if problems:
        raise ApiError(500, "; ".join(f"{'.'.join(map(str, p[:-1]))}: {p[-1]}" for p in problems))


def _completion(decision: brain.Decision, model: str, completion_id: str, usage: dict[str, int]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": decision.text}
    finish = "stop"
    if decision.tool_calls:
        call = decision.tool_calls[0]  # one grammar, one call
        arguments = call.arguments
        message = {
            "role": "assistant",
            "content": None,
            "function_call": {"name": call.name, "arguments": arguments},
            "tool_calls": [_tool_call(call.name, arguments, completion_id)],
        }
        finish = "tool_calls"
    return {
        "id": f"chat{completion_id}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": usage,
    }


def _tool_call(name: str, arguments: str, completion_id: str) -> dict[str, Any]:
    return {
        "id": f"call__0_{name}_{completion_id}",
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def _chunks(decision: brain.Decision, model: str, completion_id: str) -> list[bytes]:
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        head = {"id": f"chat{completion_id}", "model": model, "created": created, "object": "chat.completion.chunk"}
        return sse_data(head | {"choices": [choice]})

    if decision.tool_calls:
        call = decision.tool_calls[0]
        out = [chunk({"role": "assistant", "content": None, "function_call": None, "tool_calls": None})]
        tool = _tool_call(call.name, call.arguments, completion_id)
        delta = {"role": None, "content": None, "function_call": {"name": call.name, "arguments": call.arguments}}
        out.append(chunk(delta | {"tool_calls": [{"index": 0, **tool}]}))
        out.append(chunk({}, "tool_calls"))
        return [*out, SSE_DONE]
    out = [chunk({"role": "assistant"})]
    out += [chunk({"content": piece}) for piece in split_text(decision.text or "")]
    out.append(chunk({}, "stop"))
    return [*out, SSE_DONE]
