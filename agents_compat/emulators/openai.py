"""OpenAI itself: the reference. Chat Completions and Responses with a response store.

Error bodies follow the public API reference: {"error": {"message", "type", "param", "code"}}.

Reasoning (OpenAI's reasoning guide and API reference): only reasoning models (o-series, gpt-5) take
``reasoning.effort`` / ``reasoning_effort``; any other model refuses it with 400 "Unsupported parameter:
'reasoning.effort' is not supported with this model." (``reasoning_effort`` on Chat Completions). A
reasoning model's Responses output starts with a reasoning item (summary text; encrypted_content only when
``include`` asks for ``reasoning.encrypted_content``); Chat Completions never shows the reasoning. With
``store: false`` nothing is kept, so a reasoning item sent back without its encrypted_content cannot be
found: 404 "Item with id 'rs_...' not found. Items are not persisted when `store` is set to false. ...".
"""

from __future__ import annotations

import re
from typing import Any

from .base import ApiError, HttpReply, HttpRequest
from .chat import ChatQuirks
from .engine import ModelServer
from .responses import ResponsesQuirks

ERROR_TYPES = {429: "requests", 500: "server_error"}
REASONING_MODELS = re.compile(r"^(o\d|gpt-5)")  # the model families that take a reasoning effort
NOT_PERSISTED = (
    "Item with id '{id}' not found. Items are not persisted when `store` is set to false. Try again with "
    "`store` set to true, or remove this item from your input."
)


class OpenAIEmulator(ModelServer):
    family = "openai"
    chat_quirks = ChatQuirks(system_fingerprint="fp_emulated", reasoning="hidden")
    responses_quirks = ResponsesQuirks(reasoning="summary", encrypted_content="opaque")
    lifecycle = True
    conversations = True
    utilities = frozenset({"input_tokens", "compact"})

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        super().__init__(model, options)
        self.api_key: str | None = self.options.get("api_key")

    def error_reply(self, error: ApiError) -> HttpReply:
        kind = error.kind or ERROR_TYPES.get(error.status, "invalid_request_error")
        body = {"message": error.message, "type": kind, "param": error.param, "code": error.code}
        return HttpReply.json(error.status, {"error": body})

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
        if not body.get("model"):
            raise ApiError(400, "you must provide a model parameter", param="model")
        model = super().check_model(body)
        effort = body.get("reasoning_effort"), (body.get("reasoning") or {}).get("effort")
        if any(effort) and not REASONING_MODELS.match(model):
            param = "reasoning_effort" if effort[0] else "reasoning.effort"
            raise ApiError(
                400, f"Unsupported parameter: '{param}' is not supported with this model.", param=param,
                code="unsupported_parameter",
            )
        return model

    def prepare_responses(self, body: dict[str, Any]) -> dict[str, Any]:
        items = body.get("input")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("type") == "reasoning" and not item.get("encrypted_content"):
                if not self.responses.store.holds_item(str(item.get("id"))):
                    raise ApiError(404, NOT_PERSISTED.format(id=item.get("id")), param="input")
        return body

    def unknown_model(self, model: Any) -> ApiError:
        return ApiError(
            404, f"The model `{model}` does not exist or you do not have access to it.", code="model_not_found"
        )
