"""The llama-cpp-python emulator: the quirks its module docstring names, each one able to fail."""

from __future__ import annotations

import json
from typing import Any

from agents_compat.emulators import create
from agents_compat.emulators.base import HttpReply, HttpRequest
from agents_compat.wire.capture import parse_sse

TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def post(path: str, body: dict[str, Any]) -> HttpReply:
    emulator = create("llama-cpp-python", "smollm2-135m")
    return emulator.handle(HttpRequest("POST", path, {"content-type": "application/json"}, json.dumps(body).encode()))


def chat(**fields: Any) -> HttpReply:
    return post(
        "/v1/chat/completions", {"model": "anything", "messages": [{"role": "user", "content": "hi"}], **fields}
    )


def test_chat_answers_with_the_name_it_was_given_and_no_system_fingerprint() -> None:
    reply = chat()
    body = reply.payload()
    assert reply.status == 200 and body["model"] == "anything" and body["id"].startswith("chatcmpl-")
    assert "system_fingerprint" not in body and set(body["usage"]) == {
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
    }


def test_no_responses_api() -> None:
    reply = post("/v1/responses", {"model": "m", "input": "hi"})
    assert (reply.status, reply.payload()) == (404, {"detail": "Not Found"})


def test_json_schema_and_a_null_assistant_content_are_500s() -> None:
    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    for reply in (
        chat(response_format=schema),
        chat(messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": None}]),
    ):
        error = reply.payload()["error"]
        assert reply.status == 500 and error["type"] == "internal_server_error"
        assert set(error) == {"message", "type", "param", "code"}
    assert chat(response_format={"type": "json_object"}).status == 200


def test_tools_are_called_only_under_a_named_tool_choice() -> None:
    weather = [{"role": "user", "content": "Call get_weather for Paris"}]
    for choice in ("auto", "required", None):
        fields = {"tool_choice": choice} if choice else {}
        message = chat(messages=weather, tools=[TOOL], **fields).payload()["choices"][0]["message"]
        assert "tool_calls" not in message, choice
    named = {"type": "function", "function": {"name": "get_weather"}}
    body = chat(messages=weather, tools=[TOOL], tool_choice=named).payload()
    [call] = body["choices"][0]["message"]["tool_calls"]
    assert call["id"] == f"call__0_get_weather_{body['id'].removeprefix('chat')}"
    assert body["choices"][0]["message"]["function_call"]["name"] == "get_weather"
    assert body["choices"][0]["finish_reason"] == "tool_calls"


def test_streams_send_no_usage_chunk_even_when_asked() -> None:
    reply = chat(stream=True, stream_options={"include_usage": True})
    events = parse_sse(b"".join(reply.chunks or []).decode())
    payloads = [e["data"] for e in events if isinstance(e.get("data"), dict)]
    assert payloads[0]["choices"][0]["delta"] == {"role": "assistant"}
    assert payloads[-1]["choices"][0]["finish_reason"] == "stop" and payloads[-1]["choices"][0]["delta"] == {}
    assert all("usage" not in p for p in payloads) and events[-1]["data"] == "[DONE]"
