"""agents_compat/judging/evidence.py: what the captured wire says, read the same way for both APIs and both
body kinds."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agents_compat.judging import evidence
from agents_compat.judging.evidence import WireCall, WireUsage
from agents_compat.wire.capture import Exchange

CHAT, RESPONSES = "/v1/chat/completions", "/v1/responses"


def exchange(
    body: Any,
    *,
    path: str = RESPONSES,
    status: int | None = 200,
    content_type: str = "application/json",
    request: Any = None,
    complete: bool = True,
) -> Exchange:
    ex = Exchange("POST", f"http://backend{path}", {}, request if request is not None else {}, status=status)
    ex.complete = complete
    ex.response_headers = {"content-type": content_type}
    ex.raw_response.extend(body if isinstance(body, bytes) else json.dumps(body).encode())
    return ex


def stream(*events: Any, path: str = RESPONSES, done: bool = True, complete: bool = True) -> Exchange:
    raw = b"".join(e if isinstance(e, bytes) else f"data: {json.dumps(e)}\n\n".encode() for e in events)
    ex = exchange(raw + (b"data: [DONE]\n\n" if done else b""), path=path, content_type="text/event-stream")
    ex.streamed, ex.complete = True, complete
    return ex


def message(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}


def call_item(name: str, arguments: str, call_id: str = "call_1") -> dict[str, Any]:
    return {"type": "function_call", "name": name, "arguments": arguments, "call_id": call_id}


def response(*output: dict[str, Any], usage: dict[str, int] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"object": "response", "id": "resp_1", "output": list(output)}
    if usage is not None:
        body["usage"] = usage
    return body


def completion(content: str | None = None, tool_calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        msg["tool_calls"] = tool_calls
    return {"object": "chat.completion", "choices": [{"index": 0, "message": msg}]}


def chunk(**delta: Any) -> dict[str, Any]:
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}


# --- text, tool calls and usage, in all four body kinds ---------------------------------------------


def test_texts_of_a_responses_body_skip_everything_but_messages() -> None:
    ex = exchange(response(message("Hello "), call_item("f", "{}"), message("world")))
    assert evidence.texts(ex) == ["Hello ", "world"]


def test_texts_of_a_chat_body_and_of_an_empty_one() -> None:
    assert evidence.texts(exchange(completion("Paris"), path=CHAT)) == ["Paris"]
    assert evidence.texts(exchange(completion(None), path=CHAT)) == []
    assert evidence.texts(exchange({"error": {"message": "no"}}, path=CHAT, status=400)) == []


def test_texts_of_a_chat_stream_join_the_deltas() -> None:
    ex = stream(chunk(role="assistant"), chunk(content="Par"), chunk(content="is"), path=CHAT)
    assert evidence.texts(ex) == ["Paris"]
    assert evidence.texts(stream(chunk(role="assistant"), path=CHAT)) == []


def test_a_responses_stream_with_an_empty_completed_output_is_rebuilt_from_its_items() -> None:
    # the SDK does the same: response.completed without output falls back to output_item.done
    ex = stream(
        {"type": "response.output_text.delta", "delta": "hi"},
        {"type": "response.output_item.done", "item": message("hi")},
        {"type": "response.output_item.done", "item": call_item("lookup", '{"q": 1}', "c9")},
        {"type": "response.completed", "response": {"object": "response", "output": []}},
        done=False,
    )
    assert evidence.texts(ex) == ["hi"]
    assert evidence.tool_calls(ex) == [WireCall("lookup", '{"q": 1}', "c9")]


def test_a_responses_stream_prefers_the_completed_output_over_the_items() -> None:
    ex = stream(
        {"type": "response.output_item.done", "item": message("draft")},
        {"type": "response.completed", "response": response(message("final"))},
        done=False,
    )
    assert evidence.texts(ex) == ["final"]


def test_tool_calls_of_a_chat_stream_are_assembled_by_index() -> None:
    ex = stream(
        chunk(tool_calls=[{"index": 1, "id": "b", "function": {"name": "second", "arguments": ""}}]),
        chunk(tool_calls=[{"index": 0, "id": "a", "function": {"name": "first", "arguments": '{"x"'}}]),
        chunk(tool_calls=[{"index": 0, "function": {"arguments": ": 1}"}}]),
        path=CHAT,
    )
    assert evidence.tool_calls(ex) == [WireCall("first", '{"x": 1}', "a"), WireCall("second", "", "b")]
    assert evidence.argument_pieces(ex) == [2]  # 'second' never streamed an argument


def test_tool_calls_of_a_chat_body() -> None:
    calls = [{"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 2}'}}]
    assert evidence.tool_calls(exchange(completion(None, calls), path=CHAT)) == [WireCall("add", '{"a": 2}', "c1")]


def test_usage_reads_either_api_names_and_refuses_what_is_not_a_count() -> None:
    responses_usage = {"input_tokens": 12, "output_tokens": 3}
    assert evidence.usage(exchange(response(usage=responses_usage))) == WireUsage(12, 3)
    chat = {**completion("x"), "usage": {"prompt_tokens": 7, "completion_tokens": 2}}
    assert evidence.usage(exchange(chat, path=CHAT)) == WireUsage(7, 2)
    last = {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 1}}
    streamed = stream(chunk(content="x"), last, path=CHAT)
    assert evidence.usage(streamed) == WireUsage(5, 1)
    assert evidence.usage(exchange(completion("x"), path=CHAT)) is None
    assert evidence.usage(exchange(response(usage={"input_tokens": "12"}))) is None


def test_zero_usage_is_degenerate() -> None:
    assert WireUsage(0, 0).degenerate and WireUsage(10, 0).degenerate
    assert not WireUsage(10, 1).degenerate


def test_token_count_counts_words_and_punctuation() -> None:
    assert evidence.token_count("Hello, world!") == 4
    assert evidence.token_count("") == 0


def test_argument_pieces_of_a_responses_stream_per_item() -> None:
    ex = stream(
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": '{"a"'},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": ": 1}"},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_2", "delta": "{}"},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_2", "delta": ""},
        done=False,
    )
    assert evidence.argument_pieces(ex) == [2, 1]


# --- what the request asked for --------------------------------------------------------------------


def test_request_schema_from_either_api() -> None:
    schema = {"type": "object"}
    chat = {"response_format": {"type": "json_schema", "json_schema": {"name": "o", "schema": schema}}}
    responses = {"text": {"format": {"type": "json_schema", "name": "o", "schema": schema}}}
    assert evidence.request_schema(exchange({}, request=chat)) == schema
    assert evidence.request_schema(exchange({}, request=responses)) == schema
    assert evidence.request_schema(exchange({}, request={"response_format": {"type": "json_object"}})) is None
    assert evidence.request_schema(exchange({}, request="not json")) is None


def test_request_field_and_mentions() -> None:
    ex = exchange({}, request={"model": "m", "tools": [{"name": "lookup"}]})
    assert evidence.request_field(ex, "model") == "m"
    assert evidence.request_field(ex, "absent") is None
    assert evidence.mentions(evidence.request_field(ex, "tools"), "lookup")
    assert not evidence.mentions("a plain text", "lookup")


# --- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": {"message": "model 'x' not found"}}, "model 'x' not found"),
        ({"error": "rate limited"}, "rate limited"),
        ({"detail": "Not Found"}, "Not Found"),
        ({"error": {"code": 7}}, '{"code": 7}'),
        ({"ok": True}, None),
    ],
)
def test_response_error_whatever_the_body_shape(body: Any, expected: str | None) -> None:
    assert evidence.response_error(exchange(body, status=400)) == expected


def test_response_error_of_a_text_body_is_its_first_characters() -> None:
    ex = exchange(b"  upstream timed out " + b"x" * 300, status=502, content_type="text/plain")
    error = evidence.response_error(ex)
    assert error is not None and error.startswith("upstream timed out") and len(error) == 200


def test_error_message_only_from_a_json_error_body() -> None:
    assert evidence.error_message(exchange({"error": {"message": " bad key "}}, status=401)) == "bad key"
    assert evidence.error_message(exchange({"detail": "Method Not Allowed"}, status=405)) == "Method Not Allowed"
    assert evidence.error_message(exchange({"error": {"message": "   "}}, status=400)) is None
    assert evidence.error_message(exchange({"error": {"message": "x"}}, status=400, content_type="text/plain")) is None
    assert evidence.json_error_body(exchange({"error": {}}, status=400))
    assert not evidence.json_error_body(exchange(b"<html></html>", status=502, content_type="text/html"))


def test_html_page_names_a_proxys_error_page() -> None:
    page = b"<!DOCTYPE html><html><head><title> 502 Bad Gateway </title></head></html>"
    assert evidence.html_page(exchange(page, status=502, content_type="text/html")) == "502 Bad Gateway"
    # the content type lies, the body does not
    mislabelled = exchange(b"<html><body>oops</body></html>", content_type="application/json")
    assert evidence.html_page(mislabelled) == "untitled"
    assert evidence.html_page(exchange({"error": "json"}, status=500)) is None


# --- defects: what is wrong with the bytes themselves ------------------------------------------------


def test_a_sound_reply_has_no_defect() -> None:
    assert evidence.defect(exchange(response(message("hi")))) is None
    assert evidence.defect(exchange(completion("hi"), path=CHAT)) is None
    assert evidence.defect(stream(chunk(content="hi"), path=CHAT)) is None
    completed = {"type": "response.completed", "response": response(message("hi"))}
    assert evidence.defect(stream(completed, done=False)) is None


def test_an_error_status_is_no_defect_of_the_bytes() -> None:
    assert evidence.defect(exchange(b"<html>", status=502, content_type="text/html")) is None
    assert evidence.defect(exchange({}, status=None)) is None


@pytest.mark.parametrize(
    ("ex", "expected"),
    [
        (exchange(b'{"object": "resp'), "a malformed JSON body"),
        (exchange({"object": "response"}), "a JSON body of the wrong shape (no 'output')"),
        (exchange({"id": "x"}, path=CHAT), "a JSON body of the wrong shape (no 'choices')"),
        (exchange(response()), "an empty output (200 with no text and no tool call)"),
        (stream(b'data: {"choices": [{"index": 0, "delta": {"content": "hi"}}]}\n', path=CHAT, done=False),
         "the stream ended mid-event"),
        (stream(b'data: {"choices": [\n\n', path=CHAT), "a stream event carried malformed JSON"),
        (stream({"type": "response.output_text.delta"}, path=CHAT), "stream events of the wrong shape (no 'choices')"),
        (stream(chunk(content="hi"), path=CHAT, done=False),
         "the chat stream ended without data: [DONE] (so a cut stream looks complete)"),
        (stream({"object": "x"}, done=False), "stream events of the wrong shape (no 'type')"),
        (stream({"type": "response.output_text.delta", "delta": "hi"}, done=False),
         "the stream ended without response.completed"),
    ],
    ids=["malformed", "no-output", "no-choices", "empty", "cut-mid-event", "bad-event-json", "chat-shape",
         "no-done", "responses-shape", "no-completed"],
)
def test_defects_are_named(ex: Exchange, expected: str) -> None:
    assert evidence.defect(ex) == expected


def test_a_stream_the_sdk_stopped_reading_is_not_called_cut() -> None:
    partial = stream(b'data: {"choices": [{"index": 0, "delta": {"content": "h', path=CHAT, done=False, complete=False)
    assert evidence.defect(partial) is None


def test_an_oversized_reply_is_a_defect_whatever_its_status() -> None:
    ex = exchange(b"x" * 100, status=500, content_type="text/plain")
    ex.oversize, ex.max_body = 100, 64
    assert evidence.defect(ex) == ex.oversize_reason


def test_empty_output_only_for_a_successful_model_call() -> None:
    assert evidence.empty_output(exchange(response()))
    assert not evidence.empty_output(exchange(response(message("x"))))
    assert not evidence.empty_output(exchange(response(), status=404))
    models = exchange({"data": []}, path="/v1/models")
    assert not evidence.empty_output(models)
