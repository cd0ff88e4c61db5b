"""The GoModel gateway (image enterpilot/gomodel): one OpenAI-compatible front for many providers.

Modelled from DESIGN.md "Backend facts", GoModel's Agents SDK guide (shared/seeds) and its source
(internal/server/auth.go, internal/core/errors.go, internal/providers/responses_adapter.go,
responses_converter.go at v0.1.22; internal/server/previous_response.go in later releases):
- master key auth: 401 ``authentication_error`` "missing authorization header" / "invalid master key";
- model ids are ``provider/model``; an unknown one gets 400 ``unsupported model: X``;
- openai- and vllm-type upstreams get Responses passed through natively (previous_response_id too);
- other upstreams (ollama, llamacpp, ...) are chat-translated, and previous_response_id there changed
  across releases (option ``translated_previous_response_id``):
  "drop"    v0.1.22: copied upstream as an unknown field, history not rebuilt (silently dropped);
  "reject"  later: 400 'responses field "previous_response_id" is only supported by native Responses
            providers; ...' (conversation likewise);
  "resolve" newest: resolved from GoModel's own store; 404 "Previous response with id '...' not
            found." for one it did not keep (streamed, or store: false); conversation served likewise;
  v0.1.22 is the last release read (option ``version = "0.1.22"`` selects "drop"); the releases that
  introduced "reject" and "resolve" are not known here, so those are chosen by the option itself;
- behind a translated upstream, /v1/responses/input_tokens and /compact answer 501
  ``unsupported_response_operation``; only non-streamed responses can be fetched by id, and they are
  stored in the background, so an immediate GET can 404 (option ``store_delay_ms``, default 30; DESIGN.md
  reports it for GET; chaining is modelled without the delay, as nothing reports a race there);
- the translated stream (v0.1.22 responses_converter.go): event lines, no sequence_number; created
  and completed carry only {id, object, status, model, provider, created_at} (+ usage);
  output_item.added, output_text.delta carrying only {type, delta}, function_call_arguments.delta and
  .done, output_item.done, completed (no ``output``, usage in chat names), then ``data: [DONE]``;
  no in_progress, content_part or output_text.done events;
- errors: {"error": {"type", "message", "param", "code"}} with ``code`` a string or null.
"""

from __future__ import annotations

import re
import time
from typing import Any

from . import bridge
from .base import ApiError, Emulator, HttpReply, HttpRequest
from .local import model_list
from .responses import (
    ConversationStore,
    ResponsesQuirks,
    StoredResponse,
    as_input,
    conversation_id_of,
    parse_input,
)

NATIVE_RESPONSES = {"openai", "vllm"}
ENVELOPE = ("id", "object", "status", "model", "provider", "created_at")
TRANSLATED_STREAM = ResponsesQuirks(
    start_envelope=ENVELOPE,
    end_envelope=(*ENVELOPE, "usage"),
    in_progress_event=False,
    content_part_events=False,
    sequence_numbers=False,
    delta_locators=False,
    completed_has_output=False,
    completed_chat_usage=True,
    done_sentinel=True,
)
CHAT_ONLY_FIELD = (
    'responses field "{field}" is only supported by native Responses providers; '
    "use an OpenAI-compatible provider or passthrough for this request"
)
# internal/server/native_response_service.go: what a chat-translated provider cannot do.
UNSUPPORTED_OPERATION = {
    "input_tokens": "response input token counting is not supported by this provider",
    "compact": "response compaction is not supported by this provider",
}
ERROR_TYPES = {
    401: "authentication_error",
    403: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
}
# Which release behaves how on chat-translated providers (see the module docstring).
RELEASE_MODES = {"0.1.22": "drop"}


class GoModelEmulator(Emulator):
    family = "gomodel"

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        from . import create  # the upstream is another emulator family

        super().__init__(model, options)
        self.master_key: str = self.options.get("master_key", "change-me")
        self.upstream_type: str = self.options.get("upstream", "ollama")
        self.provider: str = self.options.get("provider", self.upstream_type)
        version = str(self.options.get("version", "")).removeprefix("v")
        self.prev_mode: str = self.options.get("translated_previous_response_id", RELEASE_MODES.get(version, "reject"))
        self.store_delay = float(self.options.get("store_delay_ms", 30)) / 1000
        upstream_models = [m.split("/", 1)[1] for m in self.models if m.startswith(self.provider + "/")]
        if not upstream_models:
            raise ValueError(f"gomodel: model ids must look like '{self.provider}/<model>' (got {self.models})")
        self.upstream = create(
            self.upstream_type,
            upstream_models[0],
            {**self.options.get("upstream_options", {}), "models": upstream_models},
        )
        self.stored: dict[str, tuple[float, StoredResponse]] = {}  # id -> (visible from, response)
        self.conversations = ConversationStore(self.next_id)
        self.route("POST", r"/v1/chat/completions", self._chat)
        self.route("POST", r"/v1/responses", self._responses)
        self.route("POST", r"/v1/responses/(?P<op>input_tokens|compact)", self._utility)
        self.route("GET", r"/v1/responses/(?P<id>[^/]+)", self._get_response)
        self.route("GET", r"/v1/responses/(?P<id>[^/]+)/input_items", self._input_items)
        # v0.1.22 has no conversations API and does not translate text.format into response_format
        # (internal/providers/responses_adapter.go ConvertResponsesRequestToChat at v0.1.22; recorded live:
        # fixtures/cassettes/gomodel-0122-translated/conversations.json and structured_output.json).
        self.legacy = version == "0.1.22"
        if not self.legacy:
            self.route("POST", r"/v1/conversations", self._create_conversation)
            self.route("GET", r"/v1/conversations/(?P<id>[^/]+)", self._get_conversation)
        self.route("GET", r"/v1/models", self._models)
        self.route("GET", r"/health", lambda r, m: HttpReply.json(200, {"status": "ok"}))

    @property
    def native(self) -> bool:
        return self.upstream_type in NATIVE_RESPONSES

    def not_found(self, request: HttpRequest) -> HttpReply:
        # The echo framework's own answer for a route it does not have (recorded live at v0.1.22).
        return HttpReply.json(404, {"message": "Not Found"})

    def error_reply(self, error: ApiError) -> HttpReply:
        kind = error.kind or ERROR_TYPES.get(
            error.status, "provider_error" if error.status >= 500 else "invalid_request_error"
        )
        body = {"type": kind, "message": error.message, "param": error.param, "code": error.code}
        return HttpReply.json(error.status, {"error": body})

    def _authorize(self, request: HttpRequest) -> None:
        header = request.headers.get("authorization")
        if not header:
            raise ApiError(401, "missing authorization header")
        if request.bearer() is None:
            raise ApiError(401, "invalid authorization header format, expected 'Bearer <token>'")
        if request.bearer() != self.master_key:
            raise ApiError(401, "invalid master key")

    def _route_model(self, body: dict[str, Any]) -> str:
        """The upstream model for ``provider/model`` (or a bare model only one provider serves)."""
        model = body.get("model")
        if model in self.models:
            return model.split("/", 1)[1]
        bare = [m for m in self.models if isinstance(model, str) and m.split("/", 1)[1] == model]
        if len(bare) == 1:
            return model
        raise ApiError(400, f"unsupported model: {model}")

    def _upstream(self, method: str, path: str, body: dict[str, Any] | None = None) -> HttpReply:
        headers = {"content-type": "application/json", "authorization": "Bearer upstream-key"}
        reply = self.upstream.handle(HttpRequest(method, path, headers, bridge.dumps(body) if body else b""))
        if reply.status >= 400:  # GoModel wraps upstream failures in its own error shape
            payload = reply.payload() if reply.body.startswith(b"{") else {"error": reply.body.decode()}
            inner = payload.get("error", payload)
            message = inner.get("message", str(inner)) if isinstance(inner, dict) else str(inner)
            raise ApiError(reply.status, message)
        return reply

    def _chat(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self._authorize(request)
        body = self.read_json(request)
        return self._upstream("POST", "/v1/chat/completions", {**body, "model": self._route_model(body)})

    def _responses(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self._authorize(request)
        body = self.read_json(request)
        upstream_model = self._route_model(body)
        if self.native:
            return self._upstream("POST", "/v1/responses", {**body, "model": upstream_model})
        history = self._translated_state(body)
        own_items = parse_input(body.get("input"))[1]
        translated = bridge.translate(
            {**body, "input": history + own_items},
            self.upstream,
            upstream_model,
            body["model"],
            self.next_id,
            response_format=not self.legacy,
        )
        translated.response["provider"] = self.provider
        # A translated response carries only the envelope, its output and usage, fetched later too
        # (recorded live at v0.1.22: fixtures/cassettes/gomodel-0122-translated/response_retrieval.json);
        # usage without detail objects, text parts as {type, text} (streamed: with annotations too).
        translated.response = {k: v for k, v in translated.response.items() if k in (*ENVELOPE, "output", "usage")}
        usage = translated.response.get("usage") or {}
        translated.response["usage"] = {k: usage[k] for k in ("input_tokens", "output_tokens", "total_tokens")}
        part_keys = ("type", "text") if translated.plan is None else ("type", "text", "annotations")
        for item in translated.response["output"]:
            if item.get("type") == "message":
                item["content"] = [{k: v for k, v in part.items() if k in part_keys} for part in item["content"]]
        output = as_input(translated.response["output"])
        if translated.plan is None and body.get("store", True) is not False:  # streams are not kept
            kept = StoredResponse(translated.response, history + own_items + output, own_items)
            self.stored[translated.response["id"]] = (time.monotonic() + self.store_delay, kept)
        conversation = conversation_id_of(body.get("conversation"))
        if conversation and self.prev_mode == "resolve":
            self.conversations.append(conversation, own_items + output)
        return bridge.reply_for(translated, TRANSLATED_STREAM)

    def _translated_state(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """previous_response_id / conversation on a chat-translated provider, as this release handles them."""
        for field in ("previous_response_id", "conversation"):
            if body.get(field) and self.prev_mode == "reject":
                raise ApiError(400, CHAT_ONLY_FIELD.format(field=field))
        if self.prev_mode == "drop":
            return []
        if body.get("previous_response_id") and body.get("conversation"):
            raise ApiError(400, "previous_response_id cannot be used together with conversation")
        previous = body.get("previous_response_id")
        if previous:
            found = self.stored.get(previous, (0.0, None))[1]  # the background delay is modelled for GET only
            if found is None:
                raise ApiError(404, f"Previous response with id '{previous}' not found.")
            return found.context_items
        conversation = conversation_id_of(body.get("conversation"))
        if conversation:
            items = self.conversations.items(conversation)
            if items is None:
                raise ApiError(404, f"Conversation with id '{conversation}' not found.")
            return list(items)
        return []

    def _visible(self, response_id: str) -> StoredResponse | None:
        """Translated responses are written to the store in the background: not at once."""
        visible_from, found = self.stored.get(response_id, (0.0, None))
        return found if found is not None and time.monotonic() >= visible_from else None

    def _utility(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        self._authorize(request)
        body = self.read_json(request)
        upstream_model = self._route_model(body)
        if not self.native:
            raise ApiError(
                501,
                UNSUPPORTED_OPERATION[match["op"]],
                kind="invalid_request_error",
                code="unsupported_response_operation",
            )
        return self._upstream("POST", f"/v1/responses/{match['op']}", {**body, "model": upstream_model})

    def _get_response(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        self._authorize(request)
        if self.native:
            return self._upstream("GET", f"/v1/responses/{match['id']}")
        found = self._visible(match["id"])
        if found is None:
            raise ApiError(404, "response not found")
        return HttpReply.json(200, found.response)

    def _input_items(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        self._authorize(request)
        if self.native:
            return self._upstream("GET", f"/v1/responses/{match['id']}/input_items")
        found = self._visible(match["id"])
        if found is None:
            raise ApiError(404, "response not found")
        # Listed items carry no status (recorded live at v0.1.22: .../gomodel-0122-translated/response_retrieval.json).
        data = [{k: v for k, v in item.items() if k != "status"} for item in found.input_items]
        page = {"object": "list", "data": data, "has_more": False, "first_id": None, "last_id": None}
        return HttpReply.json(200, page)

    def _create_conversation(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self._authorize(request)
        if self.native:
            return self._upstream("POST", "/v1/conversations", self.read_json(request) if request.body else {})
        body = self.read_json(request) if request.body else {}
        return HttpReply.json(200, self.conversations.create(parse_input(body.get("items") or [])[1]))

    def _get_conversation(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        self._authorize(request)
        if self.native:
            return self._upstream("GET", f"/v1/conversations/{match['id']}")
        if self.conversations.items(match["id"]) is None:
            raise ApiError(404, f"Conversation with id '{match['id']}' not found.")
        return HttpReply.json(200, self.conversations.describe(match["id"]))

    def _models(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self._authorize(request)
        return model_list(self.models, self.provider)
