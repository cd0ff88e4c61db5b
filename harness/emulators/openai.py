"""OpenAI itself: the reference. Chat Completions and Responses with a response store.

Error bodies follow the public API reference: {"error": {"message", "type", "param", "code"}}.
"""

from __future__ import annotations

import re
import time
from typing import Any

from .base import ApiError, Emulator, HttpReply, HttpRequest
from .chat import ChatCompletions, ChatQuirks
from .responses import Responses, ResponsesQuirks


class OpenAIEmulator(Emulator):
    family = "openai"
    chat_quirks = ChatQuirks(system_fingerprint="fp_emulated")
    responses_quirks = ResponsesQuirks()

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        super().__init__(model, options)
        self.api_key: str | None = self.options.get("api_key")
        self.chat = ChatCompletions(self.chat_quirks, self.next_id)
        self.responses = Responses(self.responses_quirks, self.next_id)
        self.route("POST", r"/v1/chat/completions", self._chat)
        self.route("POST", r"/v1/responses", self._create_response)
        self.route("GET", r"/v1/responses/(?P<id>[^/]+)", self._get_response)
        self.route("DELETE", r"/v1/responses/(?P<id>[^/]+)", self._delete_response)
        self.route("GET", r"/v1/responses/(?P<id>[^/]+)/input_items", self._input_items)
        self.route("GET", r"/v1/models", self._list_models)

    def error_reply(self, error: ApiError) -> HttpReply:
        kind = error.kind or {
            401: "invalid_request_error",
            404: "invalid_request_error",
            429: "requests",
            500: "server_error",
        }.get(error.status, "invalid_request_error")
        return HttpReply.json(
            error.status, {"error": {"message": error.message, "type": kind, "param": error.param, "code": error.code}}
        )

    def authorize(self, request: HttpRequest) -> None:
        key = request.bearer()
        if self.api_key is not None and key != self.api_key:
            shown = f"{key[:3]}***{key[-4:]}" if key and len(key) > 8 else "***"
            raise ApiError(
                401,
                f"Incorrect API key provided: {shown}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )

    def check_model(self, body: dict[str, Any]) -> str:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise ApiError(400, "you must provide a model parameter", param="model")
        if model not in self.models:
            raise ApiError(
                404, f"The model `{model}` does not exist or you do not have access to it.", code="model_not_found"
            )
        return model

    def _chat(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self.authorize(request)
        body = self.read_json(request)
        return self.chat.reply(body, self.check_model(body))

    def _create_response(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self.authorize(request)
        body = self.read_json(request)
        return self.responses.reply(body, self.check_model(body))

    def _stored(self, request: HttpRequest, match: re.Match[str]) -> Any:
        self.authorize(request)
        stored = self.responses.store.get(match["id"])
        if stored is None:
            raise ApiError(404, f"Response with id '{match['id']}' not found.", param="response_id")
        return stored

    def _get_response(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        return HttpReply.json(200, self._stored(request, match).response)

    def _delete_response(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        self._stored(request, match)
        self.responses.store.delete(match["id"])
        return HttpReply.json(200, {"id": match["id"], "object": "response.deleted", "deleted": True})

    def _input_items(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        items = self._stored(request, match).input_items
        return HttpReply.json(
            200, {"object": "list", "data": items, "has_more": False, "first_id": None, "last_id": None}
        )

    def _list_models(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self.authorize(request)
        created = int(time.time())
        return HttpReply.json(
            200,
            {
                "object": "list",
                "data": [{"id": m, "object": "model", "created": created, "owned_by": "system"} for m in self.models],
            },
        )
