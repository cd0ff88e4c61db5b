"""LM Studio's local server (``lms server start``, port 1234): OpenAI-compatible Chat Completions.

Tools and ``response_format`` json_schema are supported (LM Studio docs: "Tool Use", "Structured
Output"). An unknown model gets 404 'Model "<m>" not found. Please specify a valid model.' with
param "model" and code "model_not_found" (seen in letta-ai/letta PR #1876, LM Studio 0.3.5) -- except
when exactly one model is loaded: then any name is answered by that model (lmstudio-bug-tracker #619).
"""

from __future__ import annotations

from typing import Any

from .base import ApiError, HttpReply, HttpRequest
from .chat import ChatQuirks
from .engine import ModelServer


class LMStudioEmulator(ModelServer):
    family = "lmstudio"
    owned_by = "organization_owner"

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        super().__init__(model, options)
        # Tool calls are parsed out of the model's text (LM Studio docs, "Tool Use": "parses the text output"),
        # and its tool type has no "strict" (lmstudio-js lms-shared-types LLMToolUseSetting.ts): not constrained.
        self.chat.quirks = ChatQuirks(system_fingerprint=model, tool_arguments="never")

    def not_found(self, request: HttpRequest) -> HttpReply:
        # LM Studio's wording for routes it does not serve (status not verified against a live server)
        return HttpReply.json(404, {"error": f"Unexpected endpoint or method. ({request.method} {request.path})"})

    def error_reply(self, error: ApiError) -> HttpReply:
        kind = error.kind or "invalid_request_error"
        body = {"message": error.message, "type": kind, "param": error.param, "code": error.code}
        return HttpReply.json(error.status, {"error": body})

    def check_model(self, body: dict[str, Any]) -> str:
        if len(self.models) == 1:
            return self.models[0]
        return super().check_model(body)

    def unknown_model(self, model: Any) -> ApiError:
        listed = "\n".join(self.models)
        message = f'Model "{model}" not found. Please specify a valid model.\n\nYour models:\n\n{listed}'
        return ApiError(404, message, param="model", code="model_not_found")
