"""A server that runs the model itself (OpenAI, Ollama, llama.cpp, vLLM, LM Studio).

It routes Chat Completions, Responses, the Responses lifecycle (GET, DELETE, input_items) and the
model list to the shared wire-format code; a family sets its quirks and overrides the hooks below
(authorization, model check, error body, request pre-checks) where the real server differs.
"""

from __future__ import annotations

import re
import time
from typing import Any, ClassVar

from .base import ApiError, Emulator, HttpReply, HttpRequest
from .chat import ChatCompletions, ChatQuirks
from .responses import ConversationStore, Responses, ResponsesQuirks, StoredResponse, parse_input


class ModelServer(Emulator):
    chat_quirks: ClassVar[ChatQuirks | None] = ChatQuirks()  # None: no /v1/chat/completions
    responses_quirks: ClassVar[ResponsesQuirks | None] = ResponsesQuirks()  # None: no /v1/responses
    lifecycle: ClassVar[bool] = False  # GET/DELETE /v1/responses/{id} and /input_items
    conversations: ClassVar[bool] = False  # /v1/conversations and the ``conversation`` field
    utilities: ClassVar[frozenset[str]] = frozenset()  # "input_tokens", "compact"
    owned_by: ClassVar[str] = "system"

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        super().__init__(model, options)
        if self.chat_quirks is not None:
            self.chat = ChatCompletions(self.chat_quirks, self.chat_id)
            self.route("POST", r"/v1/chat/completions", self._chat)
        if self.responses_quirks is not None:
            store = ConversationStore(self.next_id) if self.conversations else None
            self.responses = Responses(self.responses_quirks, self.next_id, store)
            self.route("POST", r"/v1/responses", self._create_response)
        if "input_tokens" in self.utilities:
            self.route("POST", r"/v1/responses/input_tokens", self._input_tokens)
        if "compact" in self.utilities:
            self.route("POST", r"/v1/responses/compact", self._compact)
        if self.conversations:
            self.route("POST", r"/v1/conversations", self._create_conversation)
            self.route("GET", r"/v1/conversations/(?P<id>[^/]+)", self._get_conversation)
            self.route("GET", r"/v1/conversations/(?P<id>[^/]+)/items", self._conversation_items)
        if self.lifecycle:
            self.route("GET", r"/v1/responses/(?P<id>[^/]+)", self._get_response)
            self.route("DELETE", r"/v1/responses/(?P<id>[^/]+)", self._delete_response)
            self.route("GET", r"/v1/responses/(?P<id>[^/]+)/input_items", self._input_items)
        self.route("GET", r"/v1/models", self._models)

    # hooks a family overrides -------------------------------------------------------------------

    def authorize(self, request: HttpRequest) -> None:
        """Raise ApiError(401) for a key the server does not accept; most local servers take any."""

    def check_model(self, body: dict[str, Any]) -> str:
        model = body.get("model")
        if not isinstance(model, str) or model not in self.models:
            raise self.unknown_model(model)
        return model

    def unknown_model(self, model: Any) -> ApiError:
        return ApiError(404, f"model {model!r} not found", param="model")

    def prepare_responses(self, body: dict[str, Any]) -> dict[str, Any]:
        """Reject or rewrite a Responses request before it runs, as the real server does."""
        return body

    def not_stored(self, response_id: str) -> ApiError:
        return ApiError(404, f"Response with id '{response_id}' not found.", param="response_id")

    def chat_id(self, prefix: str) -> str:
        return self.next_id(prefix)

    # routes -------------------------------------------------------------------------------------

    def _chat(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self.authorize(request)
        body = self.read_json(request)
        return self.chat.reply(body, self.check_model(body))

    def _create_response(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self.authorize(request)
        body = self.read_json(request)
        model = self.check_model(body)
        return self.responses.reply(self.prepare_responses(body), model)

    def _input_tokens(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self.authorize(request)
        body = self.read_json(request)
        self.check_model(body)
        return HttpReply.json(200, self.responses.count_input_tokens(body))

    def _compact(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self.authorize(request)
        body = self.read_json(request)
        return HttpReply.json(200, self.responses.compact(body, self.check_model(body)))

    def _store(self) -> ConversationStore:
        store = self.responses.conversations
        assert store is not None, "the conversation routes are registered only with a store (__init__)"
        return store

    def _conversation(self, request: HttpRequest, conversation_id: str) -> list[dict[str, Any]]:
        self.authorize(request)
        items = self._store().items(conversation_id)
        if items is None:
            raise ApiError(404, f"Conversation with id '{conversation_id}' not found.", param="conversation_id")
        return items

    def _create_conversation(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self.authorize(request)
        body = self.read_json(request) if request.body else {}
        items = parse_input(body.get("items") or [])[1]
        return HttpReply.json(200, self._store().create(items))

    def _get_conversation(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        self._conversation(request, match["id"])
        return HttpReply.json(200, self._store().describe(match["id"]))

    def _conversation_items(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        items = self._conversation(request, match["id"])
        page = {"object": "list", "data": items, "has_more": False, "first_id": None, "last_id": None}
        return HttpReply.json(200, page)

    def stored(self, request: HttpRequest, response_id: str) -> StoredResponse:
        self.authorize(request)
        found = self.responses.store.get(response_id)
        if found is None:
            raise self.not_stored(response_id)
        return found

    def _get_response(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        return HttpReply.json(200, self.stored(request, match["id"]).response)

    def _delete_response(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        self.stored(request, match["id"])
        self.responses.store.delete(match["id"])
        return HttpReply.json(200, {"id": match["id"], "object": "response.deleted", "deleted": True})

    def _input_items(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        items = self.stored(request, match["id"]).input_items
        page = {"object": "list", "data": items, "has_more": False, "first_id": None, "last_id": None}
        return HttpReply.json(200, page)

    def _models(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self.authorize(request)
        return model_list(self.models, self.owned_by)


def model_list(models: list[str], owned_by: str) -> HttpReply:
    created = int(time.time())
    data = [{"id": m, "object": "model", "created": created, "owned_by": owned_by} for m in models]
    return HttpReply.json(200, {"object": "list", "data": data})
