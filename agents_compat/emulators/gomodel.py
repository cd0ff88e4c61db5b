"""The GoModel gateway (image enterpilot/gomodel): one OpenAI-compatible front for many providers.

Modelled from GoModel's source, release by release (``gomodel_releases.py`` says which commit each
release row follows and where its date comes from; option ``version`` picks one, default 0.1.59), from
docs/backends.md ("GoModel") and from the live recordings of v0.1.22 (fixtures/cassettes). Every release:
- master key auth: 401 ``authentication_error`` "missing authorization header" / "invalid master key"
  (internal/server/auth.go);
- model ids are ``provider/model``; an unknown one is 400 ``unsupported model: X`` up to v0.1.22, 404
  not_found_error code model_not_found from e4373a9;
- openai- and vllm-type upstreams are native: a stream is the upstream's own events plus a trailing
  ``data: [DONE]`` (internal/providers/responses_done_wrapper.go EnsureResponsesDone, 8149ab0 .. 0a17408);
  a non-streamed response is decoded into GoModel's ResponsesResponse and re-encoded, so only its
  fields survive, ``provider`` stamped (internal/core/responses.go, internal/providers/router.go
  stampProvider; a26fbd1 and 0a17408);
- other upstreams (ollama, llamacpp, ...) are chat-translated; previous_response_id there was dropped
  (v0.1.22), then rejected with 400 (b31d3f8), then resolved from GoModel's own store
  (previous_response.go, 669ab36: 404 "Previous response with id '...' not found." for one it did not
  keep: streamed, or store: false); option ``translated_previous_response_id`` overrides the release;
- behind a translated upstream, /v1/responses/input_tokens and /compact answer 501
  ``unsupported_response_operation`` (internal/server/native_response_service.go); only non-streamed
  responses can be fetched by id, and they are stored in the background, so an immediate GET can 404
  (option ``store_delay_ms``, default 30; chaining is modelled without the delay: previous_response.go
  waits for a pending write);
- the translated stream (internal/providers/responses_converter.go, responses_output_state.go; a26fbd1
  and 0a17408): event lines, no sequence_number; created and completed carry only {id, object, status,
  model, provider, created_at} (+ usage); output_item.added, output_text.delta carrying only {type,
  delta}, function_call_arguments.delta and .done (no ``name``), output_item.done (text parts {type,
  text, annotations}), completed (no ``output``; usage in chat names before c0b5d40, in Responses names
  from it), then ``data: [DONE]``; no in_progress, content_part or output_text.done events. c0b5d40 also
  keeps output indexes unique when a tool call starts before the text; the emulated upstreams always
  send the text first, where both releases number message 0, calls 1.. (not modelled further);
- a translated non-streamed response: the envelope, output (text parts {type, text}) and usage
  {input_tokens, output_tokens, total_tokens} (internal/providers/responses_adapter.go; recorded live at
  v0.1.22, and GoModel's contract goldens at 0a17408: fixtures/gomodel-golden-shapes.json);
- chat completions are the upstream's, decoded into GoModel's ChatResponse with ``provider`` stamped
  when not streamed, passed through when streamed (internal/core/types.go ChatResponse);
- errors: {"error": {"type", "message", "param", "code"}} with ``code`` a string or null
  (internal/core/errors.go ToJSON).
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import replace
from typing import Any

from . import bridge
from .base import ApiError, Emulator, HttpReply, HttpRequest
from .engine import model_list
from .gomodel_releases import Release, release
from .responses import ConversationStore, ResponsesQuirks, StoredResponse, as_input, conversation_id_of, parse_input

NATIVE_RESPONSES = {"openai", "vllm"}
ENVELOPE = ("id", "object", "status", "model", "provider", "created_at")
TRANSLATED_STREAM = ResponsesQuirks(
    start_envelope=ENVELOPE,
    end_envelope=(*ENVELOPE, "usage"),
    in_progress_event=False,
    content_part_events=False,
    sequence_numbers=False,
    delta_locators=False,
    function_args_done_name=False,
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
# internal/core/responses.go ResponsesResponse, ResponsesOutputItem, ResponsesContentItem (a26fbd1, 0a17408):
# the fields a decoded response keeps; empty optional ones are omitted.
RESPONSE_FIELDS = ("id", "object", "created_at", "model", "provider", "status", "output", "usage", "error")
ITEM_FIELDS = ("id", "type", "role", "status", "call_id", "name", "arguments", "content")
ITEM_REQUIRED = ("id", "type")
PART_FIELDS = ("type", "text", "image_url", "input_audio", "annotations")
# internal/core/types.go PromptTokensDetails / CompletionTokensDetails: all four counts, whatever was sent.
INPUT_DETAILS = ("cached_tokens", "audio_tokens", "text_tokens", "image_tokens")
OUTPUT_DETAILS = ("reasoning_tokens", "audio_tokens", "accepted_prediction_tokens", "rejected_prediction_tokens")
USAGE_KNOWN = (
    *("input_tokens", "output_tokens", "prompt_tokens", "completion_tokens", "total_tokens"),
    *("input_tokens_details", "prompt_tokens_details", "output_tokens_details", "completion_tokens_details"),
)
RESPONSES_USAGE = ("input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details")
CHAT_USAGE = ("prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details")
# internal/core/types.go ChatResponse, Choice.
CHAT_FIELDS = ("id", "object", "model", "provider", "system_fingerprint", "choices", "usage", "created")


def _typed_item(item: dict[str, Any], extras: bool) -> dict[str, Any]:
    typed = {k: item[k] for k in ITEM_FIELDS if item.get(k) or (k in ITEM_REQUIRED and k in item)}
    if extras:
        typed |= {k: v for k, v in item.items() if k not in ITEM_FIELDS}
    if isinstance(typed.get("content"), list):
        typed["content"] = [
            {k: part[k] for k in PART_FIELDS if part.get(k)} for part in typed["content"] if isinstance(part, dict)
        ]
    return typed


def typed_usage(usage: dict[str, Any], names: tuple[str, str, str, str]) -> dict[str, Any]:
    """internal/core/usage_json.go: the three counts, each detail object sent (with all four counts),
    every other field kept flat; ``names`` are (input, output, input details, output details)."""
    counts = (
        usage.get("input_tokens", usage.get("prompt_tokens")),
        usage.get("output_tokens", usage.get("completion_tokens")),
    )
    typed: dict[str, Any] = {
        names[0]: counts[0] or 0,
        names[1]: counts[1] or 0,
        "total_tokens": usage.get("total_tokens") or 0,
    }
    for sent, kept, counted in (
        (("input_tokens_details", "prompt_tokens_details"), names[2], INPUT_DETAILS),
        (("output_tokens_details", "completion_tokens_details"), names[3], OUTPUT_DETAILS),
    ):
        found = next((usage[k] for k in sent if isinstance(usage.get(k), dict)), None)
        if found is not None:
            typed[kept] = {name: found.get(name) or 0 for name in counted}
    known = set(USAGE_KNOWN)
    typed.update({k: v for k, v in usage.items() if k not in known})
    return typed


def typed_response(response: dict[str, Any], provider: str, extras: bool = True) -> dict[str, Any]:
    """A Responses object as GoModel re-encodes it after decoding (native and translated alike)."""
    typed = {k: response[k] for k in RESPONSE_FIELDS if response.get(k) is not None}
    typed["provider"] = provider
    typed["output"] = [_typed_item(i, extras) for i in response.get("output") or [] if isinstance(i, dict)]
    if isinstance(response.get("usage"), dict):
        typed["usage"] = typed_usage(response["usage"], RESPONSES_USAGE)
    if isinstance(response.get("error"), dict):
        typed["error"] = {"code": str(response["error"].get("code") or ""), "message": response["error"].get("message")}
    return {k: typed[k] for k in RESPONSE_FIELDS if k in typed}


def typed_completion(completion: dict[str, Any], provider: str) -> dict[str, Any]:
    """A chat completion decoded into ChatResponse: its fields, ``provider`` stamped, messages kept whole."""
    typed = {k: completion.get(k) for k in CHAT_FIELDS}
    typed["provider"] = provider
    if not typed["system_fingerprint"]:  # omitempty
        del typed["system_fingerprint"]
    typed["choices"] = [
        {"message": c.get("message"), "finish_reason": c.get("finish_reason") or "", "index": c.get("index") or 0}
        | ({"logprobs": c["logprobs"]} if "logprobs" in c else {})  # a json.RawMessage: kept when sent, null too
        for c in completion.get("choices") or []
        if isinstance(c, dict)
    ]
    usage = completion.get("usage")
    typed["usage"] = typed_usage(usage if isinstance(usage, dict) else {}, CHAT_USAGE)
    return typed


def listed_input_items(value: Any, response_id: str) -> list[dict[str, Any]]:
    """internal/server/response_input_items.go: the request's own items as sent, typed, with an id and
    string content as one input_text part; no status is added."""
    raw = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    listed = []
    for index, item in enumerate(raw):
        if isinstance(item, str):
            item = {"role": "user", "content": item}
        if not isinstance(item, dict):
            continue
        item = {**item, "type": item.get("type") or "message"}
        if item["type"] == "message":
            item.setdefault("role", "user")
            content = item.get("content")
            item["content"] = [{"type": "input_text", "text": content}] if isinstance(content, str) else content or []
        call_id, kind = item.get("call_id") or "", item["type"]
        prefix = {"function_call": "fc_", "function_call_output": "fco_"}.get(kind) if call_id else None
        seed = f"{response_id}|{kind}|{index}"
        generated = prefix + call_id if prefix else f"msg_{uuid.uuid5(uuid.NAMESPACE_OID, seed)}"
        listed.append({"id": item.get("id") or generated, **item})
    return listed


class GoModelEmulator(Emulator):
    family = "gomodel"

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        from . import create  # the upstream is another emulator family

        super().__init__(model, options)
        self.master_key: str = self.options.get("master_key", "change-me")
        self.upstream_type: str = self.options.get("upstream", "ollama")
        self.provider: str = self.options.get("provider", self.upstream_type)
        self.release: Release = release(self.options.get("version"))
        if "translated_previous_response_id" in self.options:
            self.release = replace(self.release, previous_response_id=self.options["translated_previous_response_id"])
        self.prev_mode: str = self.release.previous_response_id
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
        self.stream_quirks = replace(TRANSLATED_STREAM, completed_chat_usage=self.release.completed_usage == "chat")
        self.route("POST", r"/v1/chat/completions", self._chat)
        self.route("POST", r"/v1/responses", self._responses)
        self.route("POST", r"/v1/responses/(?P<op>input_tokens|compact)", self._utility)
        self.route("GET", r"/v1/responses/(?P<id>[^/]+)", self._get_response)
        self.route("GET", r"/v1/responses/(?P<id>[^/]+)/input_items", self._input_items)
        # v0.1.22 has no conversations API (recorded live: fixtures/cassettes/gomodel-0122-translated/
        # conversations.json); 581cf4a added it, e4373a9 made the field resolve from GoModel's own store.
        if self.release.conversations == "local":
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
        if isinstance(model, str) and model in self.models:
            return model.split("/", 1)[1]
        bare = [m for m in self.models if isinstance(model, str) and m.split("/", 1)[1] == model]
        if isinstance(model, str) and len(bare) == 1:
            return model
        if self.release.unknown_model_status == 404:  # internal/core/errors.go NewModelNotFoundError (e4373a9)
            raise ApiError(404, f"unsupported model: {model}", code="model_not_found")
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
        reply = self._upstream("POST", "/v1/chat/completions", {**body, "model": self._route_model(body)})
        if reply.streamed:
            return reply
        return HttpReply.json(reply.status, typed_completion(reply.payload(), self.provider))

    def _native_json(self, reply: HttpReply) -> HttpReply:
        return HttpReply.json(
            reply.status, typed_response(reply.payload(), self.provider, self.release.item_extra_fields)
        )

    def _native_stream(self, reply: HttpReply) -> HttpReply:
        # responses_done_wrapper.go: a [DONE] after a completed stream that ended without one.
        chunks = list(reply.chunks or [])
        if not chunks or chunks[-1].strip() != b"data: [DONE]":
            chunks.append(b"data: [DONE]\n\n")
        return HttpReply.sse(chunks)

    def _responses(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self._authorize(request)
        body = self.read_json(request)
        upstream_model = self._route_model(body)
        if self.native:
            reply = self._upstream("POST", "/v1/responses", {**body, "model": upstream_model})
            return self._native_stream(reply) if reply.streamed else self._native_json(reply)
        history = self._translated_state(body)
        own_items = parse_input(body.get("input"))[1]
        translated = bridge.translate(
            {**body, "input": history + own_items},
            self.upstream,
            upstream_model,
            body["model"],
            self.next_id,
            response_format=self.release.text_format,
        )
        response = typed_response(translated.response, self.provider)
        # responses_adapter.go: usage from the chat upstream's, which here carries no token details (recorded
        # live at v0.1.22: fixtures/cassettes/gomodel-0122-translated/response_retrieval.json; goldens at 0a17408)
        response["usage"] = {k: response["usage"][k] for k in ("input_tokens", "output_tokens", "total_tokens")}
        output = as_input(response["output"])
        if translated.plan is None and body.get("store", True) is not False:  # streams are not kept
            kept = StoredResponse(
                response, history + own_items + output, listed_input_items(body.get("input"), response["id"])
            )
            self.stored[response["id"]] = (time.monotonic() + self.store_delay, kept)
        conversation = conversation_id_of(body.get("conversation"))
        if conversation and self.release.conversations == "local":
            self.conversations.append(conversation, own_items + output)
        if translated.plan is None:
            return HttpReply.json(200, response)
        # responses_output_state.go AssistantMessageItem: a streamed text part keeps empty annotations.
        streamed = [
            {**item, "content": [{**part, "annotations": []} for part in item["content"]]}
            if item["type"] == "message"
            else item
            for item in response["output"]
        ]
        return bridge.reply_for(
            bridge.Translated({**response, "output": streamed}, translated.plan), self.stream_quirks
        )

    def _translated_state(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """previous_response_id / conversation on a chat-translated provider, as this release handles them."""
        for field in self.release.refused_fields:
            if body.get(field):
                raise ApiError(400, CHAT_ONLY_FIELD.format(field=field))
        if self.prev_mode == "drop":
            return []
        if body.get("previous_response_id") and body.get("conversation"):
            raise ApiError(400, "previous_response_id cannot be used together with conversation")
        previous = body.get("previous_response_id")
        if previous and self.prev_mode == "reject":
            raise ApiError(400, CHAT_ONLY_FIELD.format(field="previous_response_id"))
        if previous:
            found = self.stored.get(previous, (0.0, None))[1]  # previous_response.go awaits a pending write
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
        reply = self._upstream("POST", f"/v1/responses/{match['op']}", {**body, "model": upstream_model})
        if match["op"] == "compact":  # core.ResponseCompactResponse, provider stamped (router.go stampProvider)
            compacted = reply.payload()
            kept = {k: compacted[k] for k in ("id", "object", "created_at") if k in compacted}
            items = [i for i in compacted.get("output") or [] if isinstance(i, dict)]
            output = [_typed_item(i, self.release.item_extra_fields) for i in items]
            usage = typed_usage(compacted["usage"], RESPONSES_USAGE) if compacted.get("usage") else None
            return HttpReply.json(
                200, kept | {"output": output} | ({"usage": usage} if usage else {}) | {"provider": self.provider}
            )
        return reply

    def _get_response(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        self._authorize(request)
        if self.native:  # native_response_service.go: decoded like a created one, provider stamped
            return self._native_json(self._upstream("GET", f"/v1/responses/{match['id']}"))
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
        # listed_input_items: no status added (recorded live at v0.1.22: .../response_retrieval.json)
        page = {"object": "list", "data": found.input_items, "has_more": False, "first_id": None, "last_id": None}
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
