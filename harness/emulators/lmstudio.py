"""LM Studio's local server (``lms server start``, port 1234): OpenAI-compatible Chat Completions.

Tools and ``response_format`` json_schema are supported (LM Studio docs: "Tool Use", "Structured
Output"). An unknown model gets 404 'Model "<m>" not found. Please specify a valid model.' with
param "model" and code "model_not_found" (seen in letta-ai/letta PR #1876, LM Studio 0.3.5) -- except
when exactly one model is loaded: then any name is answered by that model (lmstudio-bug-tracker #619).
"""

from __future__ import annotations

import re
import time
from typing import Any

from .base import ApiError, Emulator, HttpReply, HttpRequest
from .chat import ChatCompletions, ChatQuirks
from .responses import Responses, ResponsesQuirks


class LMStudioEmulator(Emulator):
    family = "lmstudio"

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        super().__init__(model, options)
        self.chat = ChatCompletions(ChatQuirks(system_fingerprint=model), self.next_id)
        # Recent releases serve /v1/responses too; state is kept in memory by the server.
        self.responses = Responses(ResponsesQuirks(), self.next_id)
        self.route("POST", r"/v1/chat/completions", self._chat)
        self.route("POST", r"/v1/responses", self._responses)
        self.route("GET", r"/v1/models", self._models)

    def error_reply(self, error: ApiError) -> HttpReply:
        return HttpReply.json(
            error.status,
            {
                "error": {
                    "message": error.message,
                    "type": error.kind or "invalid_request_error",
                    "param": error.param,
                    "code": error.code,
                }
            },
        )

    def _model(self, body: dict[str, Any]) -> str:
        model = body.get("model")
        if len(self.models) == 1:
            return self.models[0]
        if model not in self.models:
            listed = "\n".join(self.models)
            message = f'Model "{model}" not found. Please specify a valid model.\n\nYour models:\n\n{listed}'
            raise ApiError(404, message, param="model", code="model_not_found")
        return model

    def _chat(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        body = self.read_json(request)
        return self.chat.reply(body, self._model(body))

    def _responses(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        body = self.read_json(request)
        return self.responses.reply(body, self._model(body))

    def _models(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        created = int(time.time())
        return HttpReply.json(
            200,
            {
                "object": "list",
                "data": [
                    {"id": m, "object": "model", "created": created, "owned_by": "organization_owner"}
                    for m in self.models
                ],
            },
        )
