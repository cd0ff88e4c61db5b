"""llama.cpp's llama-server (llama.cpp commit 0c1e570; sources: docs/backends.md).

Quirks modelled:
- the ``model`` field is not checked: any name gets an answer;
- Responses ``text.format`` is ignored (chat ``response_format`` json_schema is grammar-enforced);
- tool_choice as an object is ignored (only "auto", "none", "required" are read);
- a tool call's arguments are generated under a grammar from the tool's parameters, "strict" or not
  (common/chat-auto-parser-generator.cpp, common/json-schema.cpp: no extra key unless additionalProperties
  allows it); a chat json_schema next to tools replaces the tool parser, so the answer is the schema's JSON;
  parallel_tool_calls=false is ignored;
- previous_response_id: 400 "llama.cpp does not support 'previous_response_id'.";
- Responses streams send function_call_arguments.delta but no .done, no sequence_number and no
  output_index; created/in_progress carry only {id, object, status}; function_call items carry
  call_id "fc_<id>" and no id (tools/server/server-task.cpp);
- chat: every completion carries llama.cpp's "timings"; a stream's finish chunk carries them, and a
  usage chunk (empty choices, with timings) follows only with stream_options.include_usage, then
  [DONE] (recorded live at 0c1e570: fixtures/cassettes/llamacpp-chat/streaming.json and usage.json);
- a non-streamed Responses object has only id, object, created_at, completed_at, model, status,
  output and usage (recorded live: fixtures/cassettes/llamacpp-responses/plain_text.json); its usage
  has input_tokens_details.cached_tokens and no output_tokens_details, chat usage has
  prompt_tokens_details.cached_tokens, and no choice carries "logprobs" (recorded live, all cassettes);
- Responses text events carry only item_id (no output_index, content_index or logprobs), the part in
  content_part.added is {type, text}, and response.completed has no completed_at and a "timings" object
  next to the response (recorded live: fixtures/cassettes/llamacpp-responses/streaming.json);
- an assistant input item without "type": "message": 400 "Cannot determine type of 'item'";
- errors: {"error": {"code": <int>, "message", "type"}}; /health 200 once loaded;
- reasoning: ``--reasoning-format`` defaults to deepseek (common/common.h), yet at 0c1e570 the chat parser is
  generated from the template (common/chat.cpp, the differential autoparser) and finds reasoning only where
  the template has reasoning markup: with a ChatML tool template (SmolLM2's, the live rows') ``<think>`` tags
  stay in the content (measured live: fixtures/cassettes/llamacpp-chat/reasoning_roundtrip.json). Option
  ``reasoning_template`` models a template that has it (Qwen3's, measured by hand with Qwen2.5-Coder-0.5B):
  chat ``reasoning_content``, and on /v1/responses a reasoning item with a reasoning_text part and
  ``"encrypted_content": ""`` whatever ``include`` asked (tools/server/server-task.cpp to_json_oaicompat_resp);
  an input reasoning item's first content part goes back as the assistant message's reasoning_content
  (tools/server/server-chat.cpp).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, ClassVar

from .base import ApiError, HttpReply, HttpRequest, ServerDied
from .chat import ChatQuirks, schema_of_response_format
from .engine import ModelServer
from .responses import ResponsesQuirks

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    500: "server_error",
    501: "not_supported_error",
    503: "unavailable_error",
}

CHAT_QUIRKS = ChatQuirks(  # at 0c1e570
    tool_choice="strings",
    # a tool call is generated under a grammar built from every tool's parameters (json-schema-to-grammar: no
    # key beyond "properties" unless additionalProperties allows it), whatever "strict" says
    tool_arguments="always",
    # with a json_schema the auto-parser builds the response-format parser and a grammar that is not lazy, and no
    # tool parser (common/chat-auto-parser-generator.cpp, autoparser::build_parser): the schema's JSON, never a call
    schema_with_tools="forced",
    parallel_tool_calls_false=False,
    usage_chunk="requested",
    timings=True,
    choice_logprobs=False,
    cached_details=True,
)


class LlamaCppEmulator(ModelServer):
    family = "llamacpp"
    owned_by = "llamacpp"
    chat_quirks: ClassVar[ChatQuirks | None] = CHAT_QUIRKS
    responses_quirks: ClassVar[ResponsesQuirks | None] = ResponsesQuirks(
        start_envelope=("id", "object", "status"),
        sequence_numbers=False,
        output_index=False,
        call_items_without_id=True,
        text_format="ignored",
        tool_choice="strings",
        tool_arguments="always",  # the same chat grammar as /v1/chat/completions
        parallel_tool_calls_false=False,
        previous_response_id="reject",
        function_args_done_event=False,
        response_extras=(("completed_at", None),),
        response_fields=("id", "object", "created_at", "completed_at", "model", "status", "output", "usage"),
        input_details=("cached_tokens",),
        output_details=False,
        text_event_fields=("item_id",),
        added_part_fields=("type", "text"),
        end_envelope=("id", "object", "created_at", "status", "model", "output", "usage"),
        completed_timings=True,
    )
    utilities = frozenset({"input_tokens"})  # /v1/responses/input_tokens (tools/server/server.cpp at 0c1e570)

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        super().__init__(model, options)
        if self.options.get("reasoning_template") and self.chat_quirks is not None:
            self.chat.quirks = dataclasses.replace(self.chat.quirks, reasoning="reasoning_content")
            if self.responses_quirks is not None:
                self.responses.quirks = dataclasses.replace(
                    self.responses.quirks, reasoning="content", encrypted_content="empty"
                )
        self.api_key: str | None = self.options.get("api_key")  # llama-server --api-key
        self.route("GET", r"/health", lambda r, m: HttpReply.json(200, {"status": "ok"}))
        embeddings = ApiError(501, "This server does not support embeddings. Start it with `--embeddings`")
        self.route("POST", r"/v1/embeddings", lambda r, m: self.error_reply(embeddings))

    def not_found(self, request: HttpRequest) -> HttpReply:
        return self.error_reply(ApiError(404, "File Not Found"))  # server.cpp's error handler for 404

    def error_reply(self, error: ApiError) -> HttpReply:
        kind = ERROR_TYPES.get(error.status, "server_error")
        return HttpReply.json(error.status, {"error": {"code": error.status, "message": error.message, "type": kind}})

    def authorize(self, request: HttpRequest) -> None:
        if self.api_key is not None and request.bearer() != self.api_key:
            raise ApiError(401, "Invalid API Key")

    def check_model(self, body: dict[str, Any]) -> str:
        return str(body.get("model") or self.models[0])  # never checked

    def prepare_responses(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("previous_response_id"):
            raise ApiError(400, "llama.cpp does not support 'previous_response_id'.")
        items = body.get("input")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("role") == "assistant" and "type" not in item:
                raise ApiError(400, "Cannot determine type of 'item'")
        return body


class LlamaCpp4227c9bEmulator(LlamaCppEmulator):
    """llama-server at llama.cpp 4227c9b (2025-08-14), the commit llama-cpp-python 0.3.16 vendors.

    Read in its source (tools/server/server.cpp, tools/server/utils.hpp, common/chat.cpp) and recorded live
    (fixtures/cassettes/llamacpp-4227c9b-chat). Where it differs from 0c1e570 above:
    - no /v1/responses and no /v1/responses/input_tokens: only /v1/chat/completions (404 File Not Found);
    - a stream's finish chunk carries usage whether stream_options asked for it or not, and no usage
      chunk follows (to_json_oaicompat_chat_stream);
    - usage has no prompt_tokens_details (to_json_oaicompat_chat), and "timings" no cache_n (result_timings);
    - tools next to a chat json_schema still get calls (the generic handler), where 0c1e570 answers the schema only;
      but the object the model then writes kills the server (see ``_chat``).
    Its Hermes 2 Pro tool handler (common/chat.cpp, common_chat_parse_hermes_2_pro) also reads calls a
    model writes as bare or ```json-fenced JSON, where 0c1e570 reads only <tool_call> tags; the scripted
    model here writes calls the server parses either way, so that difference shows on the live rows.
    That handler also begins with try_parse_reasoning("<think>", "</think>") under the default
    ``--reasoning-format auto`` (common/common.h), whatever the template: ``<think>`` tags become
    reasoning_content for the ChatML tool template that 0c1e570 leaves them in.
    """

    # tools next to a json_schema go to the generic handler (common/chat.cpp, common_chat_templates_apply_jinja:
    # "Use generic handler when mixing tools + JSON schema"): a grammar of {"tool_call": ...} or {"response": <schema>}
    chat_quirks = dataclasses.replace(
        CHAT_QUIRKS,
        usage_chunk="on_finish",
        timings_cache_n=False,
        cached_details=False,
        reasoning="reasoning_content",
        schema_with_tools="after_calls",
    )
    responses_quirks = None
    utilities = frozenset()

    def _chat(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        # ...but when the model answers {"response": <object>}, the generic parser wants a string there and throws
        # std::runtime_error("Content path must be a string"), which nothing catches: the process terminates
        # (reproduced here: llama-server 4227c9b, Qwen2.5-Coder-0.5B, tools and a json_schema response_format).
        body = self.read_json(request)
        if body.get("tools") and schema_of_response_format(body.get("response_format")) is not None:
            if self.chat.decide(body)[0].text is not None:
                raise ServerDied("terminate called after throwing an instance of 'std::runtime_error'")
        return super()._chat(request, match)
