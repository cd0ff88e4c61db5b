"""The strict tier: known deviations of each emulated backend are reported, the reference has none."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from agents_compat.config.features import FEATURE_IDS
from agents_compat.emulators import HttpRequest, create
from agents_compat.emulators.openai import OpenAIEmulator
from agents_compat.judging.strict import cell_deviations, deviations
from agents_compat.testing import run_suites
from agents_compat.wire.capture import Exchange

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def exchange(emulator: Any, path: str, body: dict[str, Any], method: str = "POST", key: str = "k") -> Exchange:
    """Run one request through an emulator and capture it as the wire layer would."""
    raw = json.dumps(body).encode()
    reply = emulator.handle(HttpRequest(method, path, {"authorization": f"Bearer {key}"}, raw))
    captured = Exchange(
        method,
        f"http://h{path}",
        {},
        body,
        status=reply.status,
        response_headers=reply.headers,
        streamed=reply.streamed,
        complete=True,
    )
    captured.raw_response.extend(b"".join(reply.chunks) if reply.chunks is not None else reply.body)
    return captured


def reports_missing(found: list[str], label: str, field: str) -> bool:
    prefix = f"{label}: missing "
    return any(field in line.removeprefix(prefix).split(", ") for line in found if line.startswith(prefix))


def responses_stream(emulator: Any, model: str, text: str, **extra: Any) -> Exchange:
    return exchange(emulator, "/v1/responses", {"model": model, "input": text, "stream": True, **extra})


def test_reference_openai_is_clean_everywhere() -> None:
    emulator = create("openai", "gpt-4.1-mini", {"api_key": "k"})
    captured = [
        responses_stream(emulator, "gpt-4.1-mini", "Use get_weather for Oslo", tools=[WEATHER]),
        responses_stream(emulator, "gpt-4.1-mini", "Reply with exactly: a b c"),
        exchange(emulator, "/v1/responses", {"model": "gpt-4.1-mini", "input": "hi"}),
        exchange(
            emulator,
            "/v1/chat/completions",
            {"model": "gpt-4.1-mini", "stream": True, "messages": [{"role": "user", "content": "hi"}]},
        ),
        exchange(emulator, "/v1/responses", {"model": "nope", "input": "hi"}),  # a 404 error body
        exchange(emulator, "/v1/responses/compact", {"model": "gpt-4.1-mini", "input": "hi"}),
        exchange(emulator, "/v1/conversations", {}),
    ]
    assert cell_deviations(captured) == []


def test_gomodel_translated_stream_deviations_are_reported() -> None:
    emulator = create("gomodel", "ollama/qwen3:0.6b", {"upstream": "ollama", "master_key": "k"})
    found = cell_deviations(
        [
            responses_stream(emulator, "ollama/qwen3:0.6b", "Reply with exactly: a b"),
            responses_stream(emulator, "ollama/qwen3:0.6b", "Use get_weather for Oslo", tools=[WEATHER]),
        ]
    )
    for label, field in (
        ("event response.created", "sequence_number"),
        ("event response.output_text.delta", "item_id"),
        ("event response.completed", "response.output"),
        ("event response.completed", "response.usage.input_tokens"),
    ):
        assert reports_missing(found, label, field), (label, field, found)
    assert "stream: data: [DONE] is not part of a Responses stream" in found


def test_llamacpp_deviations_are_reported() -> None:
    emulator = create("llamacpp", "m")
    found = cell_deviations(
        [
            responses_stream(emulator, "m", "Use get_weather for Oslo", tools=[WEATHER]),
            exchange(emulator, "/v1/responses", {"model": "m", "input": "hi", "previous_response_id": "resp_1"}),
        ]
    )
    assert reports_missing(found, "event response.output_item.added", "output_index")
    assert reports_missing(found, "event response.created", "response.model")
    assert not reports_missing(found, "event response.completed", "response.model")  # completed is whole
    assert "error 400: code input should be a valid string (got '400')" in found


def test_error_bodies_that_are_not_openai_errors_are_reported() -> None:
    ollama = exchange(create("ollama", "qwen3:0.6b"), "/v1/conversations", {})
    assert deviations(ollama) == ["error 404: body is not {\"error\": {...}} (got '404 page not found')"]
    vllm = exchange(create("vllm", "m"), "/v1/conversations", {})
    assert deviations(vllm)[0].startswith("error 404: body is not")


def test_stream_shape_rules() -> None:
    def stream(chunks: list[str], path: str) -> Exchange:
        captured = Exchange(
            "POST",
            f"http://h{path}",
            {},
            {},
            status=200,
            response_headers={"content-type": "text/event-stream"},
            streamed=True,
            complete=True,
        )
        captured.raw_response.extend("".join(chunks).encode())
        return captured

    unknown = stream(['data: {"type": "response.teleported", "sequence_number": 0}\n\n'], "/v1/responses")
    assert deviations(unknown) == ["event response.teleported: unknown event type"]
    chunk = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}],
    }
    unfinished = stream([f"data: {json.dumps(chunk)}\n\n"], "/v1/chat/completions")
    assert deviations(unfinished) == ["stream: a Chat Completions stream must end with data: [DONE]"]


def test_a_deviation_on_a_strict_clean_profile_fails_its_cell(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    sloppy = dataclasses.replace(OpenAIEmulator.responses_quirks, sequence_numbers=False)
    monkeypatch.setattr(OpenAIEmulator, "responses_quirks", sloppy)
    result = run_suites(pytester, "--backend", "openai-responses", "-k", "streaming")
    # -k streaming selects streaming and streaming_tool_calls: both stream Responses events
    result.assert_outcomes(failed=len([f for f in FEATURE_IDS if "streaming" in f]))
    result.stdout.fnmatch_lines(
        ["*openai-responses / streaming: the profile is declared strict-clean*", "*missing sequence_number*"]
    )
