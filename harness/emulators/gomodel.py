"""The GoModel gateway (image enterpilot/gomodel): one OpenAI-compatible front for many providers.

Modelled from DESIGN.md "Backend facts" and GoModel's own Agents SDK guide (shared/seeds):
- master key auth: a wrong or missing key gets 401 ``authentication_error``;
- model ids are ``provider/model``; an unknown one gets 400 ``unsupported model: X``;
- openai- and vllm-type upstreams get Responses passed through natively (previous_response_id too);
- other upstreams (ollama, llamacpp, ...) are chat-translated: previous_response_id and conversation
  get a clear 400 (older releases dropped them silently; the newest resolve previous_response_id from
  GoModel's own store, with 404 "Previous response with id '...' not found." for streamed or
  store:false responses) -- ``translated_previous_response_id`` picks the behaviour of a release;
- the translated stream is reduced: created, output_item.added, output_text.delta,
  function_call_arguments.delta/.done, output_item.done, completed, [DONE]; no in_progress,
  content_part or output_text.done events;
- errors: {"error": {"type", "message", "param", "code"}}.
"""

from __future__ import annotations

import re
import time
from typing import Any

from . import bridge
from .base import ApiError, Emulator, HttpReply, HttpRequest
from .responses import ResponsesQuirks, ResponseStore, StoredResponse, parse_input

NATIVE_RESPONSES = {"openai", "vllm"}
TRANSLATED_STREAM = ResponsesQuirks(in_progress_event=False, content_part_events=False, done_sentinel=True)
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
        if request.bearer() != self.master_key:
            raise ApiError(401, "invalid or missing API key", kind="authentication_error")

    def _route_model(self, body: dict[str, Any]) -> str:
        model = body.get("model")
        if model not in self.models:
            raise ApiError(400, f"unsupported model: {model}", param="model")
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
            raise ApiError(404, f"Previous response with id '{previous}' not found.", param="previous_response_id")
        return stored.input_items

    def _get_response(self, request: HttpRequest, match: re.Match[str]) -> HttpReply:
        self._authorize(request)
        if self.native:
            return self._upstream_get(match["id"])
        stored = self.store.get(match["id"])
        if stored is None:
            raise ApiError(404, f"response '{match['id']}' not found", param="response_id")
        return HttpReply.json(200, stored.response)

    def _upstream_get(self, response_id: str) -> HttpReply:
        return self.upstream.handle(
            HttpRequest("GET", f"/v1/responses/{response_id}", {"authorization": "Bearer upstream-key"})
        )

    def _models(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self._authorize(request)
        created = int(time.time())
        return HttpReply.json(
            200,
            {
                "object": "list",
                "data": [
                    {"id": m, "object": "model", "created": created, "owned_by": self.provider} for m in self.models
                ],
            },
        )


def _input_list(body: dict[str, Any]) -> list[dict[str, Any]]:
    return parse_input(body.get("input"))[1]


def _as_input(response: dict[str, Any]) -> list[dict[str, Any]]:
    """A response's output items, as input items for the next turn."""
    return [item for item in response.get("output", []) if item.get("type") in ("message", "function_call")]
