"""Ollama's OpenAI-compatible API (/v1/chat/completions, /v1/responses since v0.13.3).

Quirks modelled (docs/backends.md, "Ollama"; Ollama v0.24.0's openai/openai.go, openai/responses.go and docs/openai.md):
- tool_choice and parallel_tool_calls are not read: the model decides;
- streamed tool calls arrive whole in one chunk (Ollama parses the call after generation);
- stream_options.include_usage is honoured; chat ids are chatcmpl-<0..998> (middleware/openai.go);
- a tool's "strict" is not read and its arguments are not constrained; a response_format (text.format) schema
  constrains every token from the first, so next to tools the answer is the schema's JSON, never a call
  (server/routes.go ChatHandler, the Format of the completion request);
- streamed calls carry "index" (the tool parser's count, tools/tools.go; since v0.4.7, PR #7888, issue #7881)
  and ids "call_" + 8 random characters (server/routes.go toolCallId);
- /v1/responses is stateless: previous_response_id and conversation are silently ignored, no GET by id;
- errors: {"error": {"message", "type", "param": null, "code": null}}, type from the status
  (400 invalid_request_error, 404 not_found_error, else api_error); unknown model 404 "model 'x' not found";
  a model whose template has no tools 400 "<model> does not support tools";
- reasoning (v0.24.0 = c28ddc0): ``reasoning_effort`` or ``reasoning.effort`` becomes ``think``
  (openai/openai.go FromChatRequest, openai/responses.go); a model without the thinking capability refuses
  it, 400 ``"<model>" does not support thinking`` (server/routes.go ChatHandler), wrapped in the OpenAI error
  body (middleware/openai.go); a thinking model's parsed thinking comes back as the message's ``reasoning``
  (openai.go toChatCompletion, toChunk: its own delta chunk before the content) and is read back from an
  assistant message's ``reasoning``; on /v1/responses as a reasoning item with the thinking as summary_text
  and again, plain, as encrypted_content (responses.go "Plain text for now"), read back from
  encrypted_content. A model without the capability has no thinking parser: tags stay in the text.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from .base import ApiError, HttpReply, HttpRequest
from .chat import ChatQuirks
from .engine import ModelServer
from .responses import ResponsesQuirks

ERROR_TYPES = {400: "invalid_request_error", 404: "not_found_error"}


def _with_tag(name: str) -> str:
    return name if ":" in name else f"{name}:latest"


class OllamaEmulator(ModelServer):
    family = "ollama"
    owned_by = "library"
    chat_quirks = ChatQuirks(
        tool_choice="ignored",
        parallel_tool_calls_false=False,
        stream_tool_calls="whole",
        usage_chunk="requested",
        system_fingerprint="fp_ollama",
        choice_logprobs=False,  # recorded live at v0.24.0: no "logprobs" on choices (fixtures/cassettes/ollama-chat)
        # recorded live at v0.24.0 (fixtures/cassettes/ollama-chat/function_tools.json): {"id", "index", "type",
        # "function"} on each call of a non-streamed message, as in a stream's deltas
        message_call_index=True,
        reasoning="reasoning",
        # api.ToolFunction has no "strict" (api/types.go), and no grammar is built from a tool's parameters: the
        # model writes the arguments freely (v0.24.0)
        tool_arguments="never",
        # response_format's schema becomes the completion's Format from the first token for a model without
        # thinking (server/routes.go ChatHandler at v0.24.0: only a thinking model defers it until its thinking
        # ends, and then constrains the rest): a tool call can never be written next to a schema
        schema_with_tools="forced",
    )
    # openai/responses.go: one function_call_arguments.delta carries the whole arguments. The response
    # object's fields are v0.24.0's, recorded live (fixtures/cassettes/ollama-responses): no "user", and
    # these eight more.
    responses_quirks = ResponsesQuirks(
        tool_choice="ignored",
        parallel_tool_calls_false=False,
        previous_response_id="ignore",
        argument_piece=0,
        # recorded live at v0.24.0 (fixtures/cassettes/ollama-responses): function_call_arguments.done carries
        # item_id, output_index and arguments, no name; and the response's tool_choice is "auto" whatever was
        # sent ("required" and a named choice alike), the default of a field it never reads
        function_args_done_name=False,
        echoed_tool_choice="auto",
        # openai/responses.go reads a tool's "strict" only to echo it; text.format becomes the same Format
        tool_arguments="never",
        schema_with_tools="forced",
        input_details=("cached_tokens",),  # recorded live: no cache_write_tokens, and "reasoning": null
        reasoning="summary",
        encrypted_content="plain",
        response_extras=(
            ("reasoning", None),
            ("completed_at", None),
            ("frequency_penalty", 0),
            ("presence_penalty", 0),
            ("top_logprobs", 0),
            ("max_tool_calls", None),
            ("service_tier", "default"),
            ("safety_identifier", None),
            ("prompt_cache_key", None),
        ),
        response_fields=(
            *("id", "object", "created_at", "completed_at", "status", "incomplete_details", "model"),
            *("previous_response_id", "instructions", "output", "error", "tools", "tool_choice", "truncation"),
            *("parallel_tool_calls", "text", "top_p", "presence_penalty", "frequency_penalty", "top_logprobs"),
            *("temperature", "reasoning", "usage", "max_output_tokens", "max_tool_calls", "store", "background"),
            *("service_tier", "metadata", "safety_identifier", "prompt_cache_key"),
        ),
    )

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        super().__init__(model, options)
        self.models = [_with_tag(m) for m in self.models]
        # Models pulled with a template that has no tools section (``ollama show`` lists no "tools").
        self.without_tools = {_with_tag(m) for m in self.options.get("models_without_tools", [])}
        # Models without the thinking capability (``ollama show`` lists no "thinking"): no thinking parser.
        self.without_thinking = {_with_tag(m) for m in self.options.get("models_without_thinking", [])}
        if self.models[0] in self.without_thinking:
            self.chat.quirks = replace(self.chat.quirks, reasoning="content")
            self.responses.quirks = replace(self.responses.quirks, reasoning="tags")
        version = self.options.get("version", "0.13.3")
        self.route("GET", r"/api/version", lambda r, m: HttpReply.json(200, {"version": version}))
        self.route(
            "GET",
            r"/api/tags",
            lambda r, m: HttpReply.json(200, {"models": [{"name": n, "model": n} for n in self.models]}),
        )
        self.route("GET", r"", lambda r, m: HttpReply(200, b"Ollama is running", {"content-type": "text/plain"}))

    def chat_id(self, prefix: str) -> str:
        return f"{prefix}{int(self.next_id('')) % 999}"  # rand.Intn(999) upstream: ids can repeat

    def error_reply(self, error: ApiError) -> HttpReply:
        kind = ERROR_TYPES.get(error.status, "api_error")
        return HttpReply.json(
            error.status, {"error": {"message": error.message, "type": kind, "param": None, "code": None}}
        )

    def not_found(self, request: HttpRequest) -> HttpReply:
        return HttpReply(404, b"404 page not found", {"content-type": "text/plain"})

    def check_model(self, body: dict[str, Any]) -> str:
        name = body.get("model")
        if not isinstance(name, str) or not name:
            raise ApiError(400, "model is required")
        if _with_tag(name) not in self.models:
            raise ApiError(404, f"model '{name}' not found")
        if body.get("tools") and _with_tag(name) in self.without_tools:
            raise ApiError(400, f"registry.ollama.ai/library/{_with_tag(name)} does not support tools")
        effort = body.get("reasoning_effort") or (body.get("reasoning") or {}).get("effort")
        if effort and effort != "none" and _with_tag(name) in self.without_thinking:
            raise ApiError(400, f"{json.dumps(name)} does not support thinking")
        return name
