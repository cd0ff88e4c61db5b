"""Each emulator family's quirks, exercised directly through ``handle(HttpRequest(...))``."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pydantic import BaseModel

from agents_compat.emulators import HttpReply, HttpRequest, brain, create
from agents_compat.wire.capture import parse_sse

TURN1 = "Remember this: the code word is KIWI-1."
TURN2 = "What is the code word?"
WEATHER_PARAMS = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
CHAT_TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_PARAMS}}
RESP_TOOL = {"type": "function", "name": "get_weather", "parameters": WEATHER_PARAMS}
PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


def post(emulator: Any, path: str, body: dict[str, Any], key: str | None = None) -> HttpReply:
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["authorization"] = f"Bearer {key}"
    return emulator.handle(HttpRequest("POST", path, headers, json.dumps(body).encode()))


def chat(emulator: Any, model: str, text: str, key: str | None = None, **extra: Any) -> HttpReply:
    return post(
        emulator,
        "/v1/chat/completions",
        {"model": model, "messages": [{"role": "user", "content": text}], **extra},
        key,
    )


def respond(emulator: Any, model: str, input_: Any, key: str | None = None, **extra: Any) -> HttpReply:
    return post(emulator, "/v1/responses", {"model": model, "input": input_, **extra}, key)


def events(reply: HttpReply) -> list[dict[str, Any]]:
    assert reply.chunks is not None, "expected a streamed reply"
    return parse_sse(b"".join(reply.chunks).decode())


def event_types(reply: HttpReply) -> list[str]:
    return [e["data"]["type"] for e in events(reply) if isinstance(e["data"], dict)]


def collapse(kinds: list[str]) -> list[str]:
    """Consecutive repeats folded into one (a run of deltas counts once)."""
    return [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]


def output_text(payload: dict[str, Any]) -> str:
    return "".join(part["text"] for item in payload["output"] if item["type"] == "message" for part in item["content"])


def two_turns(emulator: Any, model: str, key: str | None = None, stream_first: bool = False) -> HttpReply:
    first = respond(emulator, model, TURN1, key, stream=stream_first)
    assert first.status == 200
    if stream_first:
        first_id = next(e["data"]["response"]["id"] for e in events(first) if e["data"]["type"] == "response.created")
    else:
        first_id = first.payload()["id"]
    return respond(emulator, model, TURN2, key, previous_response_id=first_id)


# --- openai ------------------------------------------------------------------------------------


def openai_emulator(**options: Any) -> Any:
    return create("openai", "gpt-4.1-mini", options)


def test_openai_chat_completion_shape() -> None:
    payload = chat(openai_emulator(), "gpt-4.1-mini", "Reply with exactly: hi").payload()
    assert payload["id"].startswith("chatcmpl-")
    assert payload["object"] == "chat.completion"
    assert payload["choices"][0]["message"] == {"role": "assistant", "content": "hi"}
    assert payload["choices"][0]["finish_reason"] == "stop"
    usage = payload["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


def test_openai_response_object_has_required_fields() -> None:
    from openai.types.responses import Response

    payload = respond(openai_emulator(), "gpt-4.1-mini", "Reply with exactly: hi").payload()
    required = [name for name, info in Response.model_fields.items() if info.is_required()]
    assert [name for name in required if name not in payload] == []
    response = Response.model_validate({**payload, "usage": None})  # usage checked below
    assert response.id.startswith("resp_") and response.object == "response"
    assert response.status == "completed" and response.output_text == "hi"
    usage = payload["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0


def test_openai_previous_response_id_resolves_stored_turn() -> None:
    reply = two_turns(openai_emulator(), "gpt-4.1-mini")
    assert reply.status == 200
    assert "KIWI-1" in output_text(reply.payload())


def test_openai_without_previous_response_id_does_not_know_code_word() -> None:
    payload = respond(openai_emulator(), "gpt-4.1-mini", TURN2).payload()
    assert "KIWI-1" not in output_text(payload)


def test_openai_unknown_previous_response_id_is_404_with_param() -> None:
    reply = respond(openai_emulator(), "gpt-4.1-mini", TURN2, previous_response_id="resp_missing")
    assert reply.status == 404
    assert reply.payload()["error"]["param"] == "previous_response_id"


def test_openai_unknown_model_is_404_model_not_found() -> None:
    reply = chat(openai_emulator(), "gpt-nope", "hi")
    assert reply.status == 404
    assert reply.payload()["error"]["code"] == "model_not_found"


def test_openai_wrong_api_key_is_401() -> None:
    emulator = openai_emulator(api_key="sk-right-key")
    assert chat(emulator, "gpt-4.1-mini", "hi", key="sk-wrong-key").status == 401
    assert chat(emulator, "gpt-4.1-mini", "hi", key="sk-right-key").status == 200


def test_openai_responses_stream_full_event_order() -> None:
    reply = respond(openai_emulator(), "gpt-4.1-mini", "Reply with exactly: one two three", stream=True)
    kinds = event_types(reply)
    assert kinds.count("response.output_text.delta") == 3
    assert collapse(kinds) == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    numbers = [e["data"]["sequence_number"] for e in events(reply)]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_openai_chat_stream_tool_call_arguments_in_pieces() -> None:
    reply = chat(openai_emulator(), "gpt-4.1-mini", "Call get_weather for Paris", tools=[CHAT_TOOL], stream=True)
    deltas = [
        call
        for e in events(reply)
        if isinstance(e["data"], dict)
        for choice in e["data"]["choices"]
        for call in choice["delta"].get("tool_calls") or []
    ]
    assert deltas[0]["function"]["name"] == "get_weather" and deltas[0]["id"]
    pieces = [d["function"]["arguments"] for d in deltas[1:]]
    assert len(pieces) > 1
    assert json.loads("".join(pieces)) == {"city": "Paris"}


def test_openai_chat_stream_usage_chunk_only_when_requested() -> None:
    def usage_chunks(reply: HttpReply) -> list[dict[str, Any]]:
        return [e["data"] for e in events(reply) if isinstance(e["data"], dict) and e["data"].get("usage")]

    emulator = openai_emulator()
    assert usage_chunks(chat(emulator, "gpt-4.1-mini", "hi", stream=True)) == []
    requested = usage_chunks(chat(emulator, "gpt-4.1-mini", "hi", stream=True, stream_options={"include_usage": True}))
    assert len(requested) == 1 and requested[0]["choices"] == []


# --- ollama ------------------------------------------------------------------------------------


def ollama_emulator(**options: Any) -> Any:
    return create("ollama", "qwen3:0.6b", options)


@pytest.mark.parametrize("choice", ["required", {"type": "function", "function": {"name": "get_weather"}}])
def test_ollama_ignores_tool_choice(choice: Any) -> None:
    payload = chat(ollama_emulator(), "qwen3:0.6b", "Hello there", tools=[CHAT_TOOL], tool_choice=choice).payload()
    message = payload["choices"][0]["message"]
    assert "tool_calls" not in message
    assert message["content"] == "You said: Hello there"


def test_ollama_streams_tool_call_whole_in_one_chunk() -> None:
    reply = chat(ollama_emulator(), "qwen3:0.6b", "Call get_weather for Paris", tools=[CHAT_TOOL], stream=True)
    deltas = [
        call
        for e in events(reply)
        if isinstance(e["data"], dict)
        for choice in e["data"]["choices"]
        for call in choice["delta"].get("tool_calls") or []
    ]
    assert len(deltas) == 1
    assert deltas[0]["id"] and deltas[0]["function"]["name"] == "get_weather"
    assert json.loads(deltas[0]["function"]["arguments"]) == {"city": "Paris"}


def test_ollama_responses_silently_ignore_previous_response_id() -> None:
    reply = two_turns(ollama_emulator(), "qwen3:0.6b")
    assert reply.status == 200
    assert "KIWI-1" not in output_text(reply.payload())
    assert reply.payload()["previous_response_id"] is None


def test_ollama_unknown_model_error_body() -> None:
    reply = chat(ollama_emulator(), "x", "hi")
    assert reply.status == 404
    assert reply.payload() == {
        "error": {"message": "model 'x' not found", "type": "not_found_error", "param": None, "code": None}
    }


def test_ollama_model_without_tools_template_rejects_tools() -> None:
    emulator = create("ollama", "gemma3:1b", {"models_without_tools": ["gemma3:1b"]})
    reply = chat(emulator, "gemma3:1b", "hi", tools=[CHAT_TOOL])
    assert reply.status == 400
    assert "does not support tools" in reply.payload()["error"]["message"]
    assert chat(emulator, "gemma3:1b", "hi").status == 200


def test_ollama_unknown_path_is_plain_text_404() -> None:
    reply = ollama_emulator().handle(HttpRequest("GET", "/v1/nope"))
    assert reply.status == 404
    assert reply.headers["content-type"].startswith("text/plain")
    assert reply.body == b"404 page not found"


# --- gomodel -----------------------------------------------------------------------------------

GOMODEL_MODEL = "ollama/qwen3:0.6b"


def gomodel(**options: Any) -> Any:
    return create("gomodel", GOMODEL_MODEL, {"upstream": "ollama", "master_key": "k", **options})


def test_gomodel_wrong_key_is_401_authentication_error() -> None:
    reply = chat(gomodel(), GOMODEL_MODEL, "hi", key="wrong")
    assert reply.status == 401
    assert reply.payload()["error"]["type"] == "authentication_error"


def test_gomodel_missing_key_is_401() -> None:
    assert chat(gomodel(), GOMODEL_MODEL, "hi").status == 401


def test_gomodel_0122_unknown_model_is_400_unsupported_model() -> None:
    reply = chat(gomodel(version="0.1.22"), "ollama/nope", "hi", key="k")
    assert reply.status == 400
    assert reply.payload()["error"] == {
        "type": "invalid_request_error",
        "message": "unsupported model: ollama/nope",
        "param": None,
        "code": None,
    }


def test_gomodel_later_unknown_model_is_404_model_not_found() -> None:
    for version in ("0.1.59", "0a17408", "669ab36"):
        reply = chat(gomodel(version=version), "ollama/nope", "hi", key="k")
        assert reply.status == 404, version
        error = reply.payload()["error"]
        assert (error["type"], error["code"]) == ("not_found_error", "model_not_found"), version


def test_gomodel_translated_previous_response_id_reject() -> None:
    reply = respond(
        gomodel(translated_previous_response_id="reject"), GOMODEL_MODEL, TURN2, key="k", previous_response_id="resp_1"
    )
    assert reply.status == 400
    error = reply.payload()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith('responses field "previous_response_id" is only supported by native')


def test_gomodel_translated_previous_response_id_drop() -> None:
    reply = two_turns(gomodel(translated_previous_response_id="drop"), GOMODEL_MODEL, key="k")
    assert reply.status == 200
    assert "KIWI-1" not in output_text(reply.payload())


def test_gomodel_translated_previous_response_id_resolve() -> None:
    emulator = gomodel(translated_previous_response_id="resolve", store_delay_ms=0)
    reply = two_turns(emulator, GOMODEL_MODEL, key="k")
    assert reply.status == 200
    assert "KIWI-1" in output_text(reply.payload())


def test_gomodel_translated_get_does_not_see_a_response_still_being_stored() -> None:
    emulator = gomodel(translated_previous_response_id="resolve", store_delay_ms=60_000)
    first = respond(emulator, GOMODEL_MODEL, "Reply with exactly: stored later", key="k")
    path = f"/v1/responses/{first.payload()['id']}"
    assert emulator.handle(HttpRequest("GET", path, {"authorization": "Bearer k"})).status == 404
    # chaining reads the store directly: the background delay is only reported for GET
    assert two_turns(emulator, GOMODEL_MODEL, key="k").status == 200


def test_gomodel_resolve_cannot_find_streamed_turn() -> None:
    emulator = gomodel(translated_previous_response_id="resolve", store_delay_ms=0)
    reply = two_turns(emulator, GOMODEL_MODEL, key="k", stream_first=True)
    assert reply.status == 404
    message = reply.payload()["error"]["message"]
    assert message.startswith("Previous response with id 'resp_") and message.endswith("' not found.")


def test_gomodel_translated_stream_event_set() -> None:
    reply = respond(gomodel(), GOMODEL_MODEL, "Call get_weather for Paris", key="k", tools=[RESP_TOOL], stream=True)
    kinds = event_types(reply)
    assert "response.function_call_arguments.done" in kinds
    assert {"response.in_progress", "response.content_part.added", "response.output_text.done"}.isdisjoint(kinds)
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert reply.chunks[-1] == b"data: [DONE]\n\n"


def test_gomodel_translated_text_stream_has_no_content_part_events() -> None:
    reply = respond(gomodel(), GOMODEL_MODEL, "Reply with exactly: a b", key="k", stream=True)
    assert collapse(event_types(reply)) == [
        "response.created",
        "response.output_item.added",
        "response.output_text.delta",
        "response.output_item.done",
        "response.completed",
    ]


def gomodel_openai() -> Any:
    return create("gomodel", "openai/gpt-4.1-mini", {"upstream": "openai", "master_key": "k"})


def test_gomodel_native_upstream_resolves_previous_response_id() -> None:
    reply = two_turns(gomodel_openai(), "openai/gpt-4.1-mini", key="k")
    assert reply.status == 200
    assert "KIWI-1" in output_text(reply.payload())


def test_gomodel_native_upstream_streams_full_event_set() -> None:
    reply = respond(gomodel_openai(), "openai/gpt-4.1-mini", "Reply with exactly: a b", key="k", stream=True)
    kinds = set(event_types(reply))
    assert {
        "response.in_progress",
        "response.content_part.added",
        "response.output_text.done",
        "response.content_part.done",
    } <= kinds
    assert reply.chunks[-1] == b"data: [DONE]\n\n"  # appended by GoModel to the upstream's own events


# --- llama.cpp ---------------------------------------------------------------------------------


def llamacpp() -> Any:
    return create("llamacpp", "qwen3-0.6b")


def test_llamacpp_does_not_check_model() -> None:
    reply = chat(llamacpp(), "no-such-model", "Reply with exactly: ok")
    assert reply.status == 200
    assert reply.payload()["choices"][0]["message"]["content"] == "ok"


def test_llamacpp_previous_response_id_error_body() -> None:
    reply = respond(llamacpp(), "m", TURN2, previous_response_id="resp_1")
    assert reply.status == 400
    assert reply.payload() == {
        "error": {
            "code": 400,
            "message": "llama.cpp does not support 'previous_response_id'.",
            "type": "invalid_request_error",
        }
    }


def test_llamacpp_responses_ignore_text_format() -> None:
    fmt = {"format": {"type": "json_schema", "name": "person", "schema": PERSON_SCHEMA, "strict": True}}
    text = output_text(respond(llamacpp(), "m", "Describe Alice, age 30", text=fmt).payload())
    with pytest.raises(ValueError):
        json.loads(text)


def test_llamacpp_chat_enforces_response_format() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON_SCHEMA, "strict": True}}
    content = chat(llamacpp(), "m", "Describe Alice, age 30", response_format=fmt).payload()
    parsed = json.loads(content["choices"][0]["message"]["content"])
    assert set(parsed) == {"name", "age"}
    assert parsed["age"] == 30


def test_llamacpp_ignores_tool_choice_object() -> None:
    choice = {"type": "function", "function": {"name": "get_weather"}}
    message = chat(llamacpp(), "m", "Hello", tools=[CHAT_TOOL], tool_choice=choice).payload()["choices"][0]["message"]
    assert "tool_calls" not in message


def test_llamacpp_honours_tool_choice_required() -> None:
    message = chat(llamacpp(), "m", "Hello", tools=[CHAT_TOOL], tool_choice="required").payload()["choices"][0][
        "message"
    ]
    assert [c["function"]["name"] for c in message["tool_calls"]] == ["get_weather"]


def test_llamacpp_responses_tool_stream_lacks_arguments_done() -> None:
    reply = respond(llamacpp(), "m", "Call get_weather for Paris", tools=[RESP_TOOL], stream=True)
    kinds = event_types(reply)
    assert "response.function_call_arguments.delta" in kinds
    assert "response.function_call_arguments.done" not in kinds


def test_llamacpp_chat_stream_ends_with_usage_and_timings_only_when_asked() -> None:
    """As recorded live at 0c1e570 (fixtures/cassettes/llamacpp-chat/streaming.json and usage.json)."""
    plain = events(chat(llamacpp(), "m", "hi", stream=True))
    assert plain[-1]["data"] == "[DONE]"
    finish = plain[-2]["data"]
    assert finish["choices"][0]["finish_reason"] == "stop" and "usage" not in finish and "timings" in finish
    asked = events(chat(llamacpp(), "m", "hi", stream=True, stream_options={"include_usage": True}))
    finish, usage = asked[-3]["data"], asked[-2]["data"]
    assert "timings" not in finish
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] > 0 and "timings" in usage


def test_llamacpp_4227c9b_puts_usage_on_every_stream_finish_chunk_and_has_no_responses_route() -> None:
    """As read in its server.cpp and recorded live (fixtures/cassettes/llamacpp-4227c9b-chat/usage.json)."""
    for extra in ({}, {"stream_options": {"include_usage": True}}):
        streamed = events(chat(create("llamacpp-4227c9b", "m"), "m", "hi", stream=True, **extra))
        assert streamed[-1]["data"] == "[DONE]"
        finish = streamed[-2]["data"]
        assert finish["choices"][0]["finish_reason"] == "stop" and finish["usage"]["total_tokens"] > 0
        assert "prompt_tokens_details" not in finish["usage"] and "cache_n" not in finish["timings"]
        assert all(event["data"]["choices"] for event in streamed[:-1])  # no usage chunk of its own
    missing = respond(create("llamacpp-4227c9b", "m"), "m", "hi")
    assert missing.status == 404 and missing.payload()["error"]["message"] == "File Not Found"


def test_llamacpp_responses_object_has_only_the_recorded_fields() -> None:
    reply = respond(llamacpp(), "m", "hi")
    assert set(reply.payload()) == {"id", "object", "created_at", "completed_at", "model", "status", "output", "usage"}


def test_llamacpp_assistant_item_without_type_is_400() -> None:
    items = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "again"},
    ]
    reply = respond(llamacpp(), "m", items)
    assert reply.status == 400
    assert reply.payload()["error"]["message"] == "Cannot determine type of 'item'"


# --- vllm --------------------------------------------------------------------------------------


def test_vllm_previous_response_id_404_without_store() -> None:
    reply = two_turns(create("vllm", "Qwen/Qwen3-0.6B", {"responses_store": False}), "Qwen/Qwen3-0.6B")
    assert reply.status == 404
    assert reply.payload()["error"]["code"] == 404


def test_vllm_previous_response_id_resolves_with_store() -> None:
    reply = two_turns(create("vllm", "Qwen/Qwen3-0.6B", {"responses_store": True}), "Qwen/Qwen3-0.6B")
    assert reply.status == 200
    assert "KIWI-1" in output_text(reply.payload())


def test_vllm_tools_without_auto_tool_choice_is_400() -> None:
    emulator = create("vllm", "Qwen/Qwen3-0.6B", {"auto_tool_choice": False})
    reply = chat(emulator, "Qwen/Qwen3-0.6B", "hi", tools=[CHAT_TOOL])
    assert reply.status == 400
    error = reply.payload()["error"]
    assert "--enable-auto-tool-choice" in error["message"]
    assert error["code"] == 400 and isinstance(error["code"], int)


# --- litellm -----------------------------------------------------------------------------------


def litellm(**options: Any) -> Any:
    return create("litellm", "local-model", {"upstream_model": "qwen3:0.6b", **options})


def test_litellm_ignores_previous_response_id_without_database() -> None:
    reply = two_turns(litellm(database=False), "local-model")
    assert reply.status == 200
    assert "KIWI-1" not in output_text(reply.payload())


def test_litellm_resolves_previous_response_id_with_database() -> None:
    reply = two_turns(litellm(database=True), "local-model")
    assert reply.status == 200
    assert "KIWI-1" in output_text(reply.payload())


def test_litellm_error_code_is_a_string() -> None:
    reply = chat(litellm(), "unknown-model", "hi")
    assert reply.status == 400
    assert reply.payload()["error"]["code"] == "400"


KEY = "sk-master"


def keyed_litellm() -> Any:
    return litellm(master_key=KEY)


def test_litellm_without_a_database_refuses_another_key_with_no_db_connection() -> None:
    error = respond(keyed_litellm(), "local-model", "hi", key="sk-other").payload()["error"]
    assert error == {"message": "No connected db.", "type": "no_db_connection", "param": None, "code": "400"}
    assert respond(litellm(master_key=KEY, database=True), "local-model", "hi", key="sk-other").status == 401
    bare = respond(keyed_litellm(), "local-model", "hi")
    assert (bare.status, bare.body) == (500, b"Internal Server Error")


def test_litellm_refuses_parallel_tool_calls_for_ollama_chat() -> None:
    tool = {"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}}
    reply = respond(keyed_litellm(), "local-model", "hi", KEY, tools=[tool], parallel_tool_calls=True)
    assert reply.status == 400 and "UnsupportedParamsError" in reply.payload()["error"]["message"]
    assert respond(keyed_litellm(), "local-model", "hi", KEY, parallel_tool_calls=False).status == 200


def test_litellm_responses_utilities_are_not_served_for_ollama_chat() -> None:
    emulator = keyed_litellm()
    issued = respond(emulator, "local-model", "hi", KEY).payload()["id"]
    for method, path in (("GET", f"/v1/responses/{issued}"), ("GET", f"/v1/responses/{issued}/input_items")):
        reply = emulator.handle(HttpRequest(method, path, {"authorization": f"Bearer {KEY}"}, b""))
        assert reply.status == 500 and "not supported for ollama_chat" in reply.payload()["error"]["message"]
    unknown = emulator.handle(HttpRequest("GET", "/v1/responses/resp_x", {"authorization": f"Bearer {KEY}"}, b""))
    assert unknown.status == 400 and "model=None" in unknown.payload()["error"]["message"]
    compact = post(emulator, "/v1/responses/compact", {"model": "local-model", "input": "hi"}, KEY)
    assert compact.status == 500 and compact.payload()["error"]["type"] == "internal_server_error"


def test_litellm_counts_input_tokens_locally_without_the_template() -> None:
    emulator = keyed_litellm()
    body = {"model": "local-model", "input": "Reply with exactly: PONG", "instructions": "Be brief."}
    counted = post(emulator, "/v1/responses/input_tokens", body, KEY).payload()
    used = respond(emulator, "local-model", body["input"], KEY, instructions=body["instructions"]).payload()
    assert counted["litellm_count_source"] == "local_estimate"
    assert 0 < counted["input_tokens"] < used["usage"]["input_tokens"]


def test_litellm_shapes_its_objects_and_streams_like_the_live_proxy() -> None:
    payload = respond(keyed_litellm(), "local-model", "hi", KEY).payload()
    assert "background" not in payload and payload["reasoning"] is None and payload["text"] == {}
    assert payload["usage"]["cost"] is None and payload["usage"]["input_tokens_details"] is None
    assert payload["output"][0]["phase"] is None and "logprobs" not in payload["output"][0]["content"][0]
    found = events(respond(keyed_litellm(), "local-model", "hi", KEY, stream=True))
    assert found[-1]["data"] == "[DONE]" and all(e["event"] is None for e in found)
    assert all(e["data"]["model"] == "local-model" for e in found[:-1])
    assert found[-2]["data"]["response"]["usage"]["output_tokens_details"]["text_tokens"] > 0


def test_litellm_chat_answers_in_its_own_objects_without_null_fields() -> None:
    completion = chat(keyed_litellm(), "local-model", "Reply with exactly: PONG", KEY).payload()
    assert completion["id"].startswith("chatcmpl-") and completion["model"] == "local-model"
    assert set(completion) == {"id", "object", "created", "model", "choices", "usage"}  # no system_fingerprint
    assert set(completion["choices"][0]) == {"index", "message", "finish_reason"}  # no logprobs
    call = chat(keyed_litellm(), "local-model", "Call get_weather for Paris", KEY, tools=[CHAT_TOOL]).payload()
    message = call["choices"][0]["message"]
    assert message["content"] == "" and call["choices"][0]["finish_reason"] == "tool_calls"
    [tool_call] = message["tool_calls"]
    assert set(tool_call) == {"id", "type", "function"} and re.fullmatch(r"call_[0-9a-z]{8}", tool_call["id"])


def test_litellm_chat_drops_tool_choice_and_refuses_parallel_tool_calls() -> None:
    for choice in ("required", {"type": "function", "function": {"name": "get_weather"}}):
        reply = chat(keyed_litellm(), "local-model", "Hello there", KEY, tools=[CHAT_TOOL], tool_choice=choice)
        assert "tool_calls" not in reply.payload()["choices"][0]["message"], choice
    refused = chat(keyed_litellm(), "local-model", "hi", KEY, tools=[CHAT_TOOL], parallel_tool_calls=True)
    assert refused.status == 400 and "UnsupportedParamsError" in refused.payload()["error"]["message"]
    wrong_key = chat(keyed_litellm(), "local-model", "hi", "sk-other").payload()["error"]
    assert (wrong_key["type"], wrong_key["code"]) == ("no_db_connection", "400")


def test_litellm_chat_streams_like_the_live_proxy() -> None:
    text = chat(keyed_litellm(), "local-model", "Count to five", KEY, stream=True)
    found = [e["data"] for e in events(text)]
    assert found[-1] == "[DONE]"
    chunks = found[:-1]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant" and chunks[0]["choices"][0]["delta"]["content"]
    assert len({c["id"] for c in chunks}) == len(chunks)  # a fresh id on every chunk
    assert all("system_fingerprint" not in c and "usage" not in c for c in chunks)
    assert chunks[-1]["choices"] == [{"index": 0, "delta": {}, "finish_reason": "stop"}]
    assert all("finish_reason" not in c["choices"][0] for c in chunks[:-1])
    asked = [e["data"] for e in events(chat(keyed_litellm(), "local-model", "Count to five", KEY, stream=True,
                                            stream_options={"include_usage": True}))][:-1]  # fmt: skip
    finish, usage = asked[-2], asked[-1]
    assert usage["id"] == finish["id"] and usage["choices"] == [{"index": 0, "delta": {}}]
    details = usage["usage"]["completion_tokens_details"]
    assert details == {"reasoning_tokens": 0, "text_tokens": usage["usage"]["completion_tokens"]}
    assert details["text_tokens"] > 0
    called = chat(keyed_litellm(), "local-model", "Call get_weather for Paris", KEY, tools=[CHAT_TOOL], stream=True)
    first = [e["data"] for e in events(called)][0]["choices"][0]["delta"]
    assert set(first) == {"role", "tool_calls"}  # the role rides on the call; no empty content
    [whole] = first["tool_calls"]
    assert json.loads(whole["function"]["arguments"]) and re.fullmatch(r"[0-9a-f-]{36}", whole["id"])


# --- lmstudio ----------------------------------------------------------------------------------


def test_lmstudio_unknown_model_is_404() -> None:
    emulator = create("lmstudio", "qwen2.5-7b", {"models": ["qwen2.5-7b", "llama-3.2-1b"]})
    reply = chat(emulator, "nope", "hi")
    assert reply.status == 404
    assert reply.payload()["error"]["code"] == "model_not_found"


def test_lmstudio_single_loaded_model_answers_any_name() -> None:
    reply = chat(create("lmstudio", "qwen2.5-7b"), "nope", "hi")
    assert reply.status == 200
    assert reply.payload()["model"] == "qwen2.5-7b"


def test_lmstudio_chat_tools_work() -> None:
    message = chat(create("lmstudio", "m"), "m", "Call get_weather for Paris", tools=[CHAT_TOOL]).payload()
    calls = message["choices"][0]["message"]["tool_calls"]
    assert calls[0]["function"]["name"] == "get_weather"


def test_lmstudio_chat_json_schema_works() -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON_SCHEMA}}
    payload = chat(create("lmstudio", "m"), "m", "Describe Alice, age 30", response_format=fmt).payload()
    assert json.loads(payload["choices"][0]["message"]["content"]) == {"name": "Alice", "age": 30}


# --- brain -------------------------------------------------------------------------------------


def tool(name: str) -> brain.ToolSpec:
    return brain.ToolSpec(name, WEATHER_PARAMS)


def test_brain_decide_is_deterministic() -> None:
    turn = brain.Turn([brain.Message("user", "Use get_weather for Paris")], tools=[tool("get_weather")])
    first, second = brain.decide(turn), brain.decide(turn)
    assert first == second
    assert first.tool_calls[0].name == "get_weather"


def test_brain_reply_with_exactly() -> None:
    decision = brain.decide(brain.Turn([brain.Message("user", "Reply with exactly: pineapple 42")]))
    assert decision == brain.Decision(text="pineapple 42")


def test_brain_calls_handoff_tool_named_in_words() -> None:
    turn = brain.Turn(
        [brain.Message("user", "Please send me to the billing specialist")],
        tools=[brain.ToolSpec("transfer_to_billing_specialist", {"type": "object", "properties": {}})],
    )
    assert [c.name for c in brain.decide(turn).tool_calls] == ["transfer_to_billing_specialist"]


def test_brain_parallel_tool_calls_false_keeps_first_named_tool() -> None:
    message = [brain.Message("user", "Call get_weather and get_time for Paris")]
    tools = [tool("get_weather"), tool("get_time")]
    both = brain.decide(brain.Turn(message, tools=tools))
    single = brain.decide(brain.Turn(message, tools=tools, parallel_tool_calls=False))
    assert [c.name for c in both.tool_calls] == ["get_weather", "get_time"]
    assert [c.name for c in single.tool_calls] == ["get_weather"]


class _Address(BaseModel):
    city: str


class _Person(BaseModel):
    name: str
    age: int
    address: _Address
    nickname: str | None = None


def test_brain_instance_fills_pydantic_schema_with_refs_and_nullable() -> None:
    schema = _Person.model_json_schema()
    assert "$defs" in schema and "anyOf" in schema["properties"]["nickname"]
    value = brain._instance(schema, "name: Alice age: 30 city: Paris")
    person = _Person.model_validate(value)
    assert (person.name, person.age, person.address.city) == ("Alice", 30, "Paris")
    assert isinstance(person.nickname, str)
