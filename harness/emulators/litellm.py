"""The LiteLLM proxy: /v1/responses bridged onto a chat provider (here, an Ollama upstream).

Quirks modelled (DESIGN.md "Backend facts"):
- previous_response_id needs the proxy's database to look up earlier turns; without one
  (option ``database = false``, the default) it is silently ignored;
- errors carry ``code`` as a string, and type/param are often the literal string "None"
  (proxy/_types.py ProxyException.to_dict, proxy_server.py);
- an unknown model: 400 "/responses: Invalid model name passed in model=X. Call `/v1/models` ..."
  (proxy/route_llm_request.py), seen by users as the stringified detail dict.
"""

from __future__ import annotations

import re
from typing import Any

from . import bridge
from .base import ApiError, Emulator, HttpReply, HttpRequest
from .model_server import model_list
from .responses import ResponsesQuirks, ResponseStore, StoredResponse, as_input, parse_input

# litellm_completion_transformation/streaming_iterator.py: full event set with sequence_number;
# tool-call arguments re-cut into 10-character deltas.
BRIDGED_STREAM = ResponsesQuirks(argument_piece=10)


class LiteLLMEmulator(Emulator):
    family = "litellm"

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        from . import create

        super().__init__(model, options)
        self.master_key: str | None = self.options.get("master_key")
        self.database = bool(self.options.get("database", False))
        # model_list entries: the public name maps to an upstream (provider, model)
        self.upstream_model = self.options.get("upstream_model", model)
        self.upstream = create(
            self.options.get("upstream", "ollama"), self.upstream_model, self.options.get("upstream_options", {})
        )
        self.store = ResponseStore()
        self.route("POST", r"/v1/chat/completions", self._chat)
        self.route("POST", r"/v1/responses", self._responses)
        self.route("GET", r"/v1/models", self._models)

    def not_found(self, request: HttpRequest) -> HttpReply:
        return HttpReply.json(404, {"detail": "Not Found"})  # FastAPI's default for an unknown route

    def error_reply(self, error: ApiError) -> HttpReply:
        return HttpReply.json(
            error.status,
            {
                "error": {
                    "message": error.message,
                    "type": error.kind or "None",
                    "param": error.param or "None",
                    "code": str(error.status),
                }
            },
        )

    def _check(self, request: HttpRequest, body: dict[str, Any]) -> None:
        if self.master_key is not None and request.bearer() != self.master_key:
            raise ApiError(401, "Authentication Error, Invalid proxy server token passed.", kind="auth_error")
        if body.get("model") not in self.models:
            route = request.path.removeprefix("/v1")
            detail = (
                f"{route}: Invalid model name passed in model={body.get('model')}. "
                "Call `/v1/models` to view available models for your key."
            )
            raise ApiError(400, str({"error": detail}))

    def _chat(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        body = self.read_json(request)
        self._check(request, body)
        return self.upstream.handle(
            HttpRequest("POST", "/v1/chat/completions", {}, bridge.dumps({**body, "model": self.upstream_model}))
        )

    def _responses(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        body = self.read_json(request)
        self._check(request, body)
        own_items = parse_input(body.get("input"))[1]
        history: list[dict[str, Any]] = []
        previous = body.get("previous_response_id")
        if previous and self.database:  # rebuilt from the spend logs; an unknown id yields no history
            found = self.store.get(previous)
            history = found.context_items if found is not None else []
        try:
            translated = bridge.translate(
                {**body, "input": history + own_items}, self.upstream, self.upstream_model, body["model"], self.next_id
            )
        except ApiError as exc:
            raise ApiError(exc.status, f"litellm.APIError: {exc.message}") from None
        if self.database:
            context = history + own_items + as_input(translated.response["output"])
            self.store.put(StoredResponse(translated.response, context, own_items))
        return bridge.reply_for(translated, BRIDGED_STREAM)

    def _models(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        return model_list(self.models, "openai")
