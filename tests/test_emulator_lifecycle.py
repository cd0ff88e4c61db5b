"""The Responses lifecycle in the emulators: conversations, input token counting, compaction, retrieval."""

from __future__ import annotations

import json
from typing import Any

from agents_compat.emulators import HttpReply, HttpRequest, create

OPENAI_KEY = "sk-test"
GOMODEL = "ollama/qwen3:0.6b"


def call(emulator: Any, method: str, path: str, body: dict[str, Any] | None = None, key: str = OPENAI_KEY) -> HttpReply:
    headers = {"content-type": "application/json", "authorization": f"Bearer {key}"}
    return emulator.handle(HttpRequest(method, path, headers, json.dumps(body).encode() if body is not None else b""))


def openai() -> Any:
    return create("openai", "gpt-4.1-mini", {"api_key": OPENAI_KEY})


def text(response: dict[str, Any]) -> str:
    return "".join(p["text"] for item in response["output"] if item["type"] == "message" for p in item["content"])


def test_openai_conversation_carries_earlier_turns() -> None:
    emulator = openai()
    conversation = call(emulator, "POST", "/v1/conversations", {}).payload()
    assert conversation["object"] == "conversation"
    turn = {"model": "gpt-4.1-mini", "conversation": conversation["id"]}
    call(emulator, "POST", "/v1/responses", {**turn, "input": "Remember this: the code word is FIG-3."})
    answer = call(emulator, "POST", "/v1/responses", {**turn, "input": "What is the code word?"}).payload()
    assert text(answer) == "The code word is FIG-3."
    items = call(emulator, "GET", f"/v1/conversations/{conversation['id']}/items").payload()["data"]
    assert [i["role"] for i in items] == ["user", "assistant", "user", "assistant"]


def test_openai_unknown_conversation_is_404() -> None:
    reply = call(openai(), "POST", "/v1/responses", {"model": "gpt-4.1-mini", "input": "hi", "conversation": "conv_x"})
    assert reply.status == 404
    assert reply.payload()["error"]["message"] == "Conversation with id 'conv_x' not found."


def test_openai_input_tokens_count_equals_the_runs_usage() -> None:
    emulator = openai()
    request = {"model": "gpt-4.1-mini", "instructions": "Be brief.", "input": "Count these words please"}
    counted = call(emulator, "POST", "/v1/responses/input_tokens", request).payload()
    used = call(emulator, "POST", "/v1/responses", request).payload()["usage"]["input_tokens"]
    assert counted == {"object": "response.input_tokens", "input_tokens": used}


def test_openai_compaction_round_trip_keeps_the_earlier_turn() -> None:
    emulator = openai()
    history = [
        {"role": "user", "content": "Remember this: the code word is PEAR-5."},
        {"role": "assistant", "content": "Noted."},
    ]
    compacted = call(emulator, "POST", "/v1/responses/compact", {"model": "gpt-4.1-mini", "input": history}).payload()
    assert compacted["object"] == "response.compaction"
    assert [i["type"] for i in compacted["output"]] == ["compaction"]
    assert "PEAR-5" not in compacted["output"][0]["encrypted_content"]  # opaque to the client
    follow_up = [compacted["output"][0], {"role": "user", "content": "What is the code word?"}]
    answer = call(emulator, "POST", "/v1/responses", {"model": "gpt-4.1-mini", "input": follow_up}).payload()
    assert text(answer) == "The code word is PEAR-5."


def test_openai_store_false_is_not_retrievable() -> None:
    emulator = openai()
    kept = call(emulator, "POST", "/v1/responses", {"model": "gpt-4.1-mini", "input": "hi"}).payload()
    unkept = call(emulator, "POST", "/v1/responses", {"model": "gpt-4.1-mini", "input": "hi", "store": False}).payload()
    assert call(emulator, "GET", f"/v1/responses/{kept['id']}").status == 200
    assert call(emulator, "GET", f"/v1/responses/{unkept['id']}").status == 404
    items = call(emulator, "GET", f"/v1/responses/{kept['id']}/input_items").payload()["data"]
    assert items[0]["content"] == [{"type": "input_text", "text": "hi"}] and items[0]["id"].startswith("msg_")


def test_gomodel_translated_lifecycle_operations_answer_501() -> None:
    emulator = create("gomodel", GOMODEL, {"upstream": "ollama", "master_key": "k"})
    for op in ("input_tokens", "compact"):
        reply = call(emulator, "POST", f"/v1/responses/{op}", {"model": GOMODEL, "input": "hi"}, key="k")
        assert reply.status == 501
        error = reply.payload()["error"]
        assert error["code"] == "unsupported_response_operation"
        assert error["message"].endswith("is not supported by this provider")


def test_gomodel_native_forwards_lifecycle_operations() -> None:
    emulator = create("gomodel", "openai/gpt-4.1-mini", {"upstream": "openai", "master_key": "k"})
    reply = call(
        emulator, "POST", "/v1/responses/input_tokens", {"model": "openai/gpt-4.1-mini", "input": "hi"}, key="k"
    )
    assert reply.status == 200 and reply.payload()["input_tokens"] > 0


def test_gomodel_bare_model_resolves_when_one_provider_has_it() -> None:
    emulator = create("gomodel", "openai/gpt-4.1-mini", {"upstream": "openai", "master_key": "k"})
    reply = call(emulator, "POST", "/v1/responses", {"model": "gpt-4.1-mini", "input": "hi"}, key="k")
    assert reply.status == 200


def test_gomodel_release_0122_drops_previous_response_id() -> None:
    emulator = create("gomodel", GOMODEL, {"upstream": "ollama", "master_key": "k", "version": "v0.1.22"})
    assert emulator.prev_mode == "drop"


def test_unserved_routes_answer_like_each_server() -> None:
    path = "/v1/conversations"
    assert call(create("vllm", "m"), "POST", path, {}).payload() == {"detail": "Not Found"}
    llamacpp = call(create("llamacpp", "m"), "POST", path, {}).payload()
    assert llamacpp == {"error": {"code": 404, "message": "File Not Found", "type": "not_found_error"}}
    lmstudio = call(create("lmstudio", "m"), "POST", path, {})
    assert lmstudio.status == 404 and "Unexpected endpoint or method" in lmstudio.payload()["error"]
    ollama = call(create("ollama", "qwen3:0.6b"), "POST", path, {})
    assert ollama.status == 404 and ollama.body == b"404 page not found"


def test_ollama_responses_stream_sends_tool_arguments_whole() -> None:
    tool = {
        "type": "function",
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    body = {"model": "qwen3:0.6b", "input": "Use get_weather for Oslo", "tools": [tool], "stream": True}
    reply = call(create("ollama", "qwen3:0.6b"), "POST", "/v1/responses", body)
    raw = b"".join(reply.chunks or []).decode()
    deltas = [line for line in raw.splitlines() if line.startswith("event: response.function_call_arguments.delta")]
    assert len(deltas) == 1


def test_llamacpp_serves_input_tokens_only() -> None:
    emulator = create("llamacpp", "m")
    assert call(emulator, "POST", "/v1/responses/input_tokens", {"model": "x", "input": "hi"}).status == 200
    assert call(emulator, "POST", "/v1/responses/compact", {"model": "x", "input": "hi"}).status == 404
