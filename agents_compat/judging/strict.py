"""The strict tier: is the wire exactly right, not only usable by the SDK?

Every object a backend sends is validated against the ``openai`` package's own typed models (the
published API types): Responses objects and every Responses stream event (the event union,
discriminated by ``type``), Chat Completions objects and chunks, and error bodies. Each deviation is
one line naming the object, the field and what is wrong. The SDK itself parses leniently, so a cell
can be ``supported`` and still deviate: the matrix shows both.
"""

from __future__ import annotations

import typing
from typing import Any

from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.conversations import Conversation
from openai.types.responses import CompactedResponse, Response, ResponseStreamEvent
from openai.types.responses.input_token_count_response import InputTokenCountResponse
from openai.types.shared import ErrorObject
from pydantic import BaseModel, ValidationError

from ..wire.capture import Exchange


def _event_models() -> dict[str, type[BaseModel]]:
    """Each published stream event model by its ``type`` literal (openai's union tags it for its own parser)."""
    union = typing.get_args(ResponseStreamEvent)[0]
    models = {}
    for model in typing.get_args(union):
        for tag in typing.get_args(model.model_fields["type"].annotation):
            models[tag] = model
    return models


EVENT_MODELS = _event_models()
MAX_PER_EXCHANGE = 20  # a broken stream repeats itself; the first lines say enough


def _problems(label: str, error: ValidationError) -> list[str]:
    """One line for all missing fields of an object, one line per wrong value."""
    missing, wrong = [], []
    for problem in error.errors(include_url=False):
        where = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "missing":
            missing.append(where)
        else:
            wrong.append(f"{label}: {where} {problem['msg'].lower()} (got {str(problem.get('input'))[:40]!r})")
    return ([f"{label}: missing {', '.join(missing)}"] if missing else []) + wrong


def _check(model: type[BaseModel], label: str, data: Any) -> list[str]:
    try:
        model.model_validate(data)
    except ValidationError as error:
        return _problems(label, error)
    return []


def _stream_events(exchange: Exchange, chat: bool) -> list[str]:
    found = []
    for index, event in enumerate(exchange.events):
        data = event.get("data")
        if data == "[DONE]":
            if not chat:
                found.append("stream: data: [DONE] is not part of a Responses stream")
            continue
        if not isinstance(data, dict):
            found.append(f"stream event {index}: not a JSON object")
            continue
        if chat:
            found += _check(ChatCompletionChunk, f"chunk {index}", data)
        else:
            label = f"event {data.get('type', index)}"
            kind = data.get("type")
            model = EVENT_MODELS.get(kind) if isinstance(kind, str) else None
            found += _check(model, label, data) if model else [f"{label}: unknown event type"]
            if event.get("event") not in (None, data.get("type")):
                found.append(f"{label}: SSE event name {event.get('event')!r} differs from its type")
    if chat and exchange.events and exchange.events[-1].get("data") != "[DONE]":
        found.append("stream: a Chat Completions stream must end with data: [DONE]")
    return found


def _model_for(exchange: Exchange) -> type[BaseModel] | None:
    path, method = exchange.path, exchange.method
    if path.endswith("/chat/completions"):
        return ChatCompletion
    if path.endswith("/responses") and method == "POST":
        return Response
    if path.endswith("/responses/input_tokens"):
        return InputTokenCountResponse
    if path.endswith("/responses/compact"):
        return CompactedResponse
    if "/responses/" in path and method == "GET" and not path.endswith("/input_items"):
        return Response
    if path.endswith("/conversations") and method == "POST":
        return Conversation
    return None


def deviations(exchange: Exchange) -> list[str]:
    """What in this exchange's response departs from the published OpenAI types."""
    status = exchange.status or 0
    body = exchange.response_body
    if status >= 400:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return [f'error {status}: body is not {{"error": {{...}}}} (got {str(body)[:50]!r})']
        return _check(ErrorObject, f"error {status}", error)
    model = _model_for(exchange)
    if model is None or not exchange.complete:
        return []
    if exchange.streamed:
        found = _stream_events(exchange, chat=model is ChatCompletion)
    else:
        found = _check(model, model.__name__, body)
    return found[:MAX_PER_EXCHANGE]


def cell_deviations(exchanges: list[Exchange]) -> list[str]:
    """Distinct deviations over a cell's exchanges, in the order first seen."""
    seen: dict[str, None] = {}
    for exchange in exchanges:
        for line in deviations(exchange):
            seen.setdefault(line, None)
    return list(seen)
