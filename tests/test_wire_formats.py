"""The emulators' shared wire formats, read directly: agents_compat/emulators/chat.py, responses.py and bridge.py.

The families' tests (tests/test_emulators.py) see these through whole requests; here each parser and
the gateway's translation are pinned on their own, so a change to one says which one.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from agents_compat.emulators import ApiError, brain, bridge, chat, responses


def _ids() -> Any:
    counter = itertools.count(1)
    return lambda prefix: f"{prefix}{next(counter)}"


# --- chat.py ---------------------------------------------------------------------------------------


def test_chat_message_text_from_a_string_or_text_parts_only() -> None:
    assert chat.text_of("hi") == "hi" and chat.text_of(None) == ""
    assert chat.text_of([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]) == "ab"
    with pytest.raises(ApiError) as refused:
        chat.text_of([{"type": "text", "text": 3}])
    assert (refused.value.status, refused.value.param) == (400, "messages")


def test_chat_messages_a_developer_message_is_the_system_prompt_and_tool_calls_are_kept() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{}"}}
    parsed = chat.parse_messages(
        [
            {"role": "developer", "content": "Be brief."},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "3"},
        ]
    )
    assert [(m.role, m.text) for m in parsed] == [("system", "Be brief."), ("assistant", ""), ("tool", "3")]
    assert parsed[1].tool_calls == [brain.ToolCall("c1", "add", "{}")] and parsed[2].tool_call_id == "c1"


@pytest.mark.parametrize("messages", [[], "hi", [{"role": "robot", "content": "x"}], [{"content": "x"}]])
def test_chat_messages_refused_with_400(messages: Any) -> None:
    with pytest.raises(ApiError, match="messages|role") as refused:
        chat.parse_messages(messages)
    assert refused.value.status == 400


def test_chat_tool_choice_as_each_backend_honours_it() -> None:
    named = {"type": "function", "function": {"name": "add"}}
    assert chat.tool_choice_of(named, "all") == "function:add"
    assert chat.tool_choice_of(named, "strings") == "auto"  # llama.cpp reads only "auto"/"none"/"required"
    assert chat.tool_choice_of("required", "ignored") == "auto"  # Ollama ignores tool_choice
    assert chat.tool_choice_of("required", "strings") == "required"


def test_chat_response_format_schema() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    assert chat.schema_of_response_format({"type": "json_schema", "json_schema": {"schema": schema}}) == schema
    assert chat.schema_of_response_format({"type": "json_object"}) == {"type": "object"}
    assert chat.schema_of_response_format({"type": "text"}) is None


def test_splits_join_back_exactly() -> None:
    text = "The capital of France is Paris."
    assert "".join(chat.split_text(text)) == text and len(chat.split_text(text)) == 6
    assert chat.split_arguments('{"a": 12345678}', size=8) == ['{"a": 12', '345678}']
    assert chat.split_arguments("") == [""]


def test_a_completion_is_read_back_into_a_decision() -> None:
    payload = {"choices": [{"message": {"content": None, "tool_calls": [
        {"id": "c1", "function": {"name": "add", "arguments": '{"a": 1}'}}]}}]}  # fmt: skip
    assert chat.decision_from_completion(payload) == brain.Decision(None, (brain.ToolCall("c1", "add", '{"a": 1}'),))


# --- responses.py ----------------------------------------------------------------------------------


def test_responses_input_string_is_one_user_message_stored_as_a_typed_item() -> None:
    messages, items = responses.parse_input("hi")
    assert [(m.role, m.text) for m in messages] == [("user", "hi")]
    [item] = items
    assert (item["type"], item["role"], item["status"]) == ("message", "user", "completed")
    assert item["content"] == [{"type": "input_text", "text": "hi"}] and item["id"].startswith("msg_")
    with pytest.raises(ApiError, match="'input' must be"):
        responses.parse_input({"role": "user"})


def test_normalized_items_have_deterministic_ids_and_list_content() -> None:
    said = {"role": "assistant", "content": "ok"}
    first, again = responses.normalize_item(said), responses.normalize_item(dict(said))
    assert first["id"] == again["id"] and first["content"] == [{"type": "output_text", "text": "ok"}]
    assert responses.normalize_item({"type": "function_call_output", "call_id": "c", "output": "3"})["type"] == (
        "function_call_output"
    )


def test_only_messages_and_calls_go_back_as_input() -> None:
    output = [{"type": "reasoning"}, {"type": "message", "id": "m"}, {"type": "function_call", "id": "f"}]
    assert [i["id"] for i in responses.as_input(output)] == ["m", "f"]


def test_responses_tool_choice_and_text_format() -> None:
    assert responses.tool_choice_of({"type": "function", "name": "add"}, "all") == "function:add"
    assert responses.tool_choice_of({"type": "function", "name": "add"}, "ignored") == "auto"
    schema = {"type": "object"}
    assert responses.schema_of_text_format({"format": {"type": "json_schema", "schema": schema}}) == schema
    assert responses.schema_of_text_format({"format": {"type": "text"}}) is None
    assert responses.schema_of_text_format(None) is None


def test_conversation_ids_and_the_store() -> None:
    assert responses.conversation_id_of({"id": "conv_1"}) == responses.conversation_id_of("conv_1") == "conv_1"
    assert responses.conversation_id_of("") is None and responses.conversation_id_of({"id": 3}) is None
    store = responses.ConversationStore(_ids())
    made = store.create([{"type": "message"}])
    assert (made["id"], made["object"]) == ("conv_1", "conversation")
    store.append("conv_1", [{"type": "function_call"}])
    assert [i["type"] for i in store.items("conv_1") or []] == ["message", "function_call"]
    assert store.items("conv_2") is None


def test_response_store_put_get_delete() -> None:
    store = responses.ResponseStore()
    store.put(responses.StoredResponse({"id": "resp_1"}, []))
    assert store.get("resp_1") is not None
    assert store.delete("resp_1") and not store.delete("resp_1") and store.get("resp_1") is None


def test_output_items_and_usage() -> None:
    decision = brain.Decision("hi", (brain.ToolCall("c1", "add", "{}"),))
    items = responses.output_items(decision, _ids())
    assert [(i["type"], i["id"]) for i in items] == [("message", "msg_1"), ("function_call", "fc_2")]
    assert items[1]["call_id"] == "c1"
    assert responses.usage_of(7, 2)["total_tokens"] == 9


# --- bridge.py: what a gateway sends its chat upstream for a Responses request ---------------------


def test_a_responses_request_becomes_the_chat_request_a_gateway_sends() -> None:
    body = {
        "model": "ollama/qwen3:0.6b",
        "instructions": "Be brief.",
        "input": [
            {"role": "user", "content": "add 1 and 2"},
            {"type": "function_call", "call_id": "c1", "name": "add", "arguments": '{"a": 1, "b": 2}'},
            {"type": "function_call_output", "call_id": "c1", "output": "3"},
        ],
        "tools": [{"type": "function", "name": "add", "parameters": {"type": "object"}}],
        "tool_choice": {"type": "function", "name": "add"},
        "text": {"format": {"type": "json_schema", "name": "out", "schema": {"type": "object"}}},
        "stream": True,
    }
    sent = bridge.chat_request(body, "qwen3:0.6b")
    assert sent["model"] == "qwen3:0.6b"
    assert [m["role"] for m in sent["messages"]] == ["system", "user", "assistant", "tool"]
    assert sent["messages"][2]["tool_calls"][0]["function"] == {"name": "add", "arguments": '{"a": 1, "b": 2}'}
    assert sent["messages"][3] == {"role": "tool", "tool_call_id": "c1", "content": "3"}
    assert sent["tools"] == [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "add"}}
    assert sent["response_format"]["json_schema"] == {"name": "out", "schema": {"type": "object"}, "strict": False}
    assert sent["stream_options"] == {"include_usage": True}
    assert "response_format" not in bridge.chat_request(body, "m", response_format=False)
