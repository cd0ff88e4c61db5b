"""OpenAI itself: the reference. Chat Completions and Responses with a response store.

Error bodies follow the public API reference: {"error": {"message", "type", "param", "code"}}.
"""

from __future__ import annotations

from typing import Any

from .base import ApiError, HttpReply, HttpRequest
from .chat import ChatQuirks
from .engine import ModelServer
from .responses import ResponsesQuirks

ERROR_TYPES = {429: "requests", 500: "server_error"}


class OpenAIEmulator(ModelServer):
    family = "openai"
    chat_quirks = ChatQuirks(system_fingerprint="fp_emulated")
    responses_quirks = ResponsesQuirks()
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
        return super().check_model(body)

    def unknown_model(self, model: Any) -> ApiError:
        return ApiError(
            404, f"The model `{model}` does not exist or you do not have access to it.", code="model_not_found"
        )
