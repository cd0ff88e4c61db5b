"""vLLM's OpenAI-compatible server (``vllm serve``): native Chat Completions and Responses.

Quirks modelled (DESIGN.md "Backend facts"; vLLM's entrypoints/openai):
- the response store is off unless VLLM_ENABLE_RESPONSES_API_STORE=1 (option ``responses_store``):
  without it previous_response_id cannot be found and gets 404;
- tools need ``--enable-auto-tool-choice --tool-call-parser ...`` (option ``auto_tool_choice``):
  without them an "auto" tool_choice gets 400;
- unknown model: 404 "The model `x` does not exist.";
- errors: {"error": {"message", "type", "param", "code": <int>}} (nested since v0.10.1, PR #22099;
  earlier releases sent a flat {"object": "error", ...}); previous id not found: 404
  "Response with id '<id>' not found." (serving_responses.py _make_not_found_error).
"""

from __future__ import annotations

import re
from typing import Any

from .base import ApiError, Emulator, HttpReply, HttpRequest
from .chat import ChatCompletions, ChatQuirks
from .responses import Responses, ResponsesQuirks

ERROR_TYPES = {400: "BadRequestError", 404: "NotFoundError", 500: "InternalServerError"}


class VLLMEmulator(Emulator):
    family = "vllm"

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        super().__init__(model, options)
        self.store_enabled = bool(self.options.get("responses_store", False))
        self.auto_tool_choice = bool(self.options.get("auto_tool_choice", True))
        self.chat = ChatCompletions(ChatQuirks(id_prefix="chatcmpl-"), self.next_id)
        self.responses = Responses(ResponsesQuirks(), self.next_id)
        self.route("POST", r"/v1/chat/completions", self._chat)
        self.route("POST", r"/v1/responses", self._responses)
        self.route("GET", r"/v1/responses/(?P<id>[^/]+)", self._get_response)
        self.route("GET", r"/v1/models", self._models)
        self.route("GET", r"/health", lambda r, m: HttpReply(200))

    def error_reply(self, error: ApiError) -> HttpReply:
        return HttpReply.json(
            error.status,
            {
                "error": {
                    "message": error.message,
                    "type": error.kind or ERROR_TYPES.get(error.status, "BadRequestError"),
                    "param": error.param,
                    "code": error.status,
                }
            },
        )

    def _check(self, body: dict[str, Any]) -> str:
        model = body.get("model")
        if model not in self.models:
            raise ApiError(404, f"The model `{model}` does not exist.", param="model")
        choice = body.get("tool_choice", "auto")
        if body.get("tools") and choice in ("auto", None) and not self.auto_tool_choice:
            raise ApiError(
                400, '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
            )
        return model

    def _chat(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        body = self.read_json(request)
        return self.chat.reply(body, self._check(body))

    def _responses(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        body = self.read_json(request)
        model = self._check(body)
        previous = body.get("previous_response_id")
        if previous and self.responses.store.get(previous) is None:
            raise ApiError(
                404, f"Response with id '{previous}' not found.", kind="invalid_request_error", param="response_id"
            )
        if not self.store_enabled:  # store=true is silently downgraded (serving_responses.py)
            body = {**body, "store": False}
        return self.responses.reply(body, model)

    def _get_response(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        stored = self.responses.store.get(match["id"])
        if stored is None:
            raise ApiError(404, f"Response with id '{match['id']}' not found.", kind="invalid_request_error")
        return HttpReply.json(200, stored.response)

    def _models(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        return HttpReply.json(
            200,
            {
                "object": "list",
                "data": [
                    {"id": m, "object": "model", "created": 0, "owned_by": "vllm", "root": m} for m in self.models
                ],
            },
        )
