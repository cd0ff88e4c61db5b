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
            found." for one it did not keep (streamed, or store: false);
- the translated stream (v0.1.22 responses_converter.go): event lines, no sequence_number; created,
  output_item.added, output_text.delta carrying only {type, delta}, function_call_arguments.delta and
  .done, output_item.done, completed (no ``output``, usage in chat names), then ``data: [DONE]``;
  no in_progress, content_part or output_text.done events;
- errors: {"error": {"type", "message", "param", "code"}} with ``code`` a string or null.
"""

from __future__ import annotations

import re
from typing import Any

from . import bridge
from .base import ApiError, Emulator, HttpReply, HttpRequest
from .local import model_list
from .responses import ResponsesQuirks, ResponseStore, StoredResponse, parse_input

NATIVE_RESPONSES = {"openai", "vllm"}
TRANSLATED_STREAM = ResponsesQuirks(
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
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    501: "unsupported_response_operation",
}


class GoModelEmulator(Emulator):
    family = "gomodel"

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        from . import create  # the upstream is another emulator family

        super().__init__(model, options)
        self.master_key: str = self.options.get("master_key", "change-me")
        self.upstream_type: str = self.options.get("upstream", "ollama")
        self.provider: str = self.options.get("provider", self.upstream_type)
        self.prev_mode: str = self.options.get("translated_previous_response_id", "reject")
        upstream_models = [m.split("/", 1)[1] for m in self.models if m.startswith(self.provider + "/")]
        if not upstream_models:
            raise ValueError(f"gomodel: model ids must look like '{self.provider}/<model>' (got {self.models})")
        self.upstream = create(
            self.upstream_type,
            upstream_models[0],
            {**self.options.get("upstream_options", {}), "models": upstream_models},
        )
        self.store = ResponseStore()
        self.route("POST", r"/v1/chat/completions", self._chat)
        self.route("POST", r"/v1/responses", self._responses)
        self.route("GET", r"/v1/responses/(?P<id>[^/]+)", self._get_response)
        self.route("GET", r"/v1/models", self._models)
        self.route("GET", r"/health", lambda r, m: HttpReply.json(200, {"status": "ok"}))

    @property
    def native(self) -> bool:
        return self.upstream_type in NATIVE_RESPONSES

    def error_reply(self, error: ApiError) -> HttpReply:
        kind = error.kind or ERROR_TYPES.get(
            error.status, "api_error" if error.status >= 500 else "invalid_request_error"
        )
        return HttpReply.json(
            error.status, {"error": {"type": kind, "message": error.message, "param": error.param, "code": error.code}}
        )

    def _authorize(self, request: HttpRequest) -> None:
        header = request.headers.get("authorization")
        if not header:
            raise ApiError(401, "missing authorization header", kind="authentication_error")
        if request.bearer() is None:
            raise ApiError(
                401, "invalid authorization header format, expected 'Bearer <token>'", kind="authentication_error"
            )
        if request.bearer() != self.master_key:
            raise ApiError(401, "invalid master key", kind="authentication_error")

    def _route_model(self, body: dict[str, Any]) -> str:
        model = body.get("model")
        if model not in self.models:
            raise ApiError(400, f"unsupported model: {model}")
        return model.split("/", 1)[1]

    def _upstream(self, request: HttpRequest, path: str, body: dict[str, Any]) -> HttpReply:
        forwarded = HttpRequest(
            "POST",
            path,
            {"content-type": "application/json", "authorization": "Bearer upstream-key"},
            bridge.dumps(body),
        )
        reply = self.upstream.handle(forwarded)
        if reply.status >= 400:  # GoModel wraps upstream failures in its own error shape
            payload = reply.payload() or {}
            inner = payload.get("error", payload)
            message = inner.get("message", str(inner)) if isinstance(inner, dict) else str(inner)
            raise ApiError(reply.status, message)
        return reply

    def _chat(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self._authorize(request)
        body = self.read_json(request)
        return self._upstream(request, "/v1/chat/completions", {**body, "model": self._route_model(body)})

    def _responses(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self._authorize(request)
        body = self.read_json(request)
        upstream_model = self._route_model(body)
        if self.native:
            return self._upstream(request, "/v1/responses", {**body, "model": upstream_model})
        history = self._translated_state(body)
        if history:
            body = {
                **body,
                "input": history
                + (body["input"] if isinstance(body["input"], list) else parse_input(body["input"])[1]),
            }
        try:
            translated = bridge.translate(body, self.upstream, upstream_model, body["model"], self.next_id)
        except ApiError as exc:
            raise ApiError(exc.status, exc.message) from None
        if translated.plan is None and body.get("store", True) is not False:
            self.store.put(StoredResponse(translated.response, [], _input_list(body) + _as_input(translated.response)))
        return bridge.reply_for(translated, TRANSLATED_STREAM)

    def _translated_state(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """previous_response_id / conversation on a chat-translated provider, as this release handles them."""
        for field in ("previous_response_id", "conversation"):
            if body.get(field) and self.prev_mode == "reject":
                raise ApiError(
                    400,
                    f"{field} is not supported for provider {self.provider!r}: "
                    "chat-translated providers cannot reconstruct provider-managed state",
                    param=field,
                )
        previous = body.get("previous_response_id")
        if not previous or self.prev_mode == "drop":
            return []
        stored = self.store.get(previous)
        if stored is None:
            raise ApiError(404, f"Previous response with id '{previous}' not found.")
        return stored.input_items

    def _get_response(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        self._authorize(request)
        if self.native:
            return self._upstream_get(match["id"])
        stored = self.store.get(match["id"])
        if stored is None:
            raise ApiError(404, "response not found")
        return HttpReply.json(200, stored.response)

    def _upstream_get(self, response_id: str) -> HttpReply:
        return self.upstream.handle(
            HttpRequest("GET", f"/v1/responses/{response_id}", {"authorization": "Bearer upstream-key"})
        )

    def _models(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self._authorize(request)
        return model_list(self.models, self.provider)


def _input_list(body: dict[str, Any]) -> list[dict[str, Any]]:
    return parse_input(body.get("input"))[1]


def _as_input(response: dict[str, Any]) -> list[dict[str, Any]]:
    """A response's output items, as input items for the next turn."""
    return [item for item in response.get("output", []) if item.get("type") in ("message", "function_call")]
