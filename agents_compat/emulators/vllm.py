"""vLLM's OpenAI-compatible server (``vllm serve``): native Chat Completions and Responses.

Quirks modelled (docs/backends.md, "vLLM"; vLLM's vllm/entrypoints/openai at 00b6063f3bf6 and its docs):
- the response store is off unless VLLM_ENABLE_RESPONSES_API_STORE=1 (option ``responses_store``):
  without it previous_response_id cannot be found and gets 404;
- tools need ``--enable-auto-tool-choice --tool-call-parser ...`` (option ``auto_tool_choice``):
  without them an "auto" tool_choice gets 400;
- unknown model: 404 "The model `x` does not exist.";
- errors: {"error": {"message", "type", "param", "code": <int>}} (nested since v0.10.1, PR #22099;
  earlier releases sent a flat {"object": "error", ...}); previous id not found: 404
  "Response with id '<id>' not found." (serving_responses.py _make_not_found_error);
- reasoning needs ``--reasoning-parser`` (option ``reasoning_parser``, e.g. qwen3; vLLM docs, "Reasoning
  Outputs"): with it the chat message carries ``reasoning`` (``reasoning_content`` before the
  rename that page notes) and a Responses answer a reasoning item with a reasoning_text part and
  ``"encrypted_content": null``; without a parser ``<think>`` tags stay in the text.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .base import ApiError, HttpReply, HttpRequest
from .chat import ChatQuirks
from .engine import ModelServer
from .responses import ResponsesQuirks

ERROR_TYPES = {400: "BadRequestError", 404: "NotFoundError", 500: "InternalServerError"}


class VLLMEmulator(ModelServer):
    family = "vllm"
    owned_by = "vllm"
    lifecycle = True
    # As of v0.13.0 (the sdist on PyPI): with tool_choice "auto" the tool-call parser reads calls out of the model's
    # free text, and "strict" is not read (FunctionDefinition has no such field, entrypoints/openai/protocol.py);
    # only a named or "required" choice is decoded under the parameters' schema (ToolParser.adjust_request).
    # A response_format / text.format json_schema becomes the request's structured output from the first token
    # (protocol.py to_sampling_params; adjust_request leaves "auto" alone): the schema's JSON, never a call.
    # A Responses reasoning item has no encrypted_content, dumped without exclude_none: "encrypted_content": null,
    # whatever include asks (serving_responses.py, api_server.py).
    chat_quirks = ChatQuirks(tool_arguments="never", schema_with_tools="forced")
    responses_quirks = ResponsesQuirks(tool_arguments="never", schema_with_tools="forced", encrypted_content="null")

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        super().__init__(model, options)
        self.store_enabled = bool(self.options.get("responses_store", False))
        self.auto_tool_choice = bool(self.options.get("auto_tool_choice", True))
        self.route("GET", r"/health", lambda r, m: HttpReply(200))
        if self.options.get("reasoning_parser"):
            self.chat.quirks = replace(self.chat.quirks, reasoning="reasoning")
            self.responses.quirks = replace(self.responses.quirks, reasoning="content")

    def not_found(self, request: HttpRequest) -> HttpReply:
        return HttpReply.json(404, {"detail": "Not Found"})  # FastAPI's default for an unknown route

    def error_reply(self, error: ApiError) -> HttpReply:
        kind = error.kind or ERROR_TYPES.get(error.status, "BadRequestError")
        body = {"message": error.message, "type": kind, "param": error.param, "code": error.status}
        return HttpReply.json(error.status, {"error": body})

    def check_model(self, body: dict[str, Any]) -> str:
        model = super().check_model(body)
        if body.get("tools") and body.get("tool_choice", "auto") in ("auto", None) and not self.auto_tool_choice:
            raise ApiError(
                400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
            )
        return model

    def unknown_model(self, model: Any) -> ApiError:
        return ApiError(404, f"The model `{model}` does not exist.", kind="NotFoundError", param="model")

    def not_stored(self, response_id: str) -> ApiError:
        return ApiError(
            404, f"Response with id '{response_id}' not found.", kind="invalid_request_error", param="response_id"
        )

    def prepare_responses(self, body: dict[str, Any]) -> dict[str, Any]:
        previous = body.get("previous_response_id")
        if previous and self.responses.store.get(previous) is None:
            raise self.not_stored(previous)
        if not self.store_enabled:  # store=true is silently downgraded (serving_responses.py)
            body = {**body, "store": False}
        return body
