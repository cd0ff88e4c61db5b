"""The tool-wire classifiers on hand-made runs: what a do-nothing, half-working or misshapen backend sends."""

from __future__ import annotations

import json
from typing import Any, Literal

import openai
from agents.exceptions import MaxTurnsExceeded, ModelBehaviorError
from pydantic import BaseModel

from agents_compat.judging import classify
from agents_compat.outcomes import Outcome
from agents_compat.running.backend import RunRecord
from agents_compat.wire.capture import Exchange
from tests.test_classify import exchange, record, response_body, sse_exchange, status_error

# --- structured_output_with_tools ------------------------------------------------------------------------------


class Order(BaseModel):
    tracking_code: str
    schema_marker: Literal["order-v1"]


SCHEMA_FORMAT = {"format": {"type": "json_schema", "name": "final_output", "schema": {"type": "object"}}}
TOOLS = [{"type": "function", "name": "lookup_order", "parameters": {"type": "object"}}]
FIRST = {"input": "q", "tools": TOOLS, "text": SCHEMA_FORMAT}


def so_run(output: Any, *, call: bool = True, result_back: bool = True, **kw: Any) -> RunRecord:
    first = exchange(FIRST, response_body(calls=(("lookup_order", '{"order_id": "A-1"}'),)) if call else
                     response_body('{"tracking_code": "X", "schema_marker": "order-v1"}'))  # fmt: skip
    if not call:
        return record(first, output=output, **kw)
    back = {
        **FIRST,
        "input": [{"type": "function_call_output", "output": "tracking_code=TRK-1" if result_back else "?"}],
    }
    return record(first, exchange(back, response_body('{"tracking_code": "TRK-1"}')), output=output, **kw)


def test_a_tool_call_and_an_object_with_the_tools_value_is_supported() -> None:
    obs = classify.structured_output_with_tools(so_run(Order(tracking_code="TRK-1", schema_marker="order-v1")),
                                                "lookup_order", "TRK-1", Order)  # fmt: skip
    assert obs.outcome is Outcome.SUPPORTED and "TRK-1" in obs.reason


def test_an_object_without_a_call_is_a_miss_until_the_control_shows_the_pair_lost() -> None:
    run = so_run(Order(tracking_code="X", schema_marker="order-v1"), call=False)
    missed = classify.structured_output_with_tools(run, "lookup_order", "TRK-1", Order)
    assert missed.model_missed and "no lookup_order call" in missed.reason
    no_call = record(exchange({"input": "q", "tools": TOOLS}, response_body("I cannot.")), output="I cannot.")
    assert classify.schema_stopped_call(missed, no_call, "lookup_order") is missed
    called = record(exchange({"input": "q", "tools": TOOLS}, response_body(calls=(("lookup_order", "{}"),))),
                    error=MaxTurnsExceeded("Max turns (1) exceeded"))  # fmt: skip
    decided = classify.schema_stopped_call(missed, called, "lookup_order")
    assert decided.outcome is Outcome.IGNORED and not decided.model_missed and "tools alone" in decided.reason


def test_an_answer_after_the_tool_that_ignores_the_schema_is_ignored() -> None:
    run = so_run(None, error=ModelBehaviorError("Invalid JSON when parsing model output"))
    obs = classify.structured_output_with_tools(run, "lookup_order", "TRK-1", Order)
    assert obs.outcome is Outcome.IGNORED and "did not follow the output schema" in obs.reason


def test_a_result_that_never_went_back_is_broken_and_an_object_without_it_a_miss() -> None:
    lost = so_run(Order(tracking_code="TRK-1", schema_marker="order-v1"), result_back=False)
    assert classify.structured_output_with_tools(lost, "lookup_order", "TRK-1", Order).outcome is Outcome.BROKEN
    guessed = so_run(Order(tracking_code="TRK-9", schema_marker="order-v1"))
    assert classify.structured_output_with_tools(guessed, "lookup_order", "TRK-1", Order).model_missed


def test_the_pair_refused_is_unsupported() -> None:
    error = status_error(openai.BadRequestError, 400, "response_format cannot be combined with tools")
    run = record(exchange(FIRST, {"error": {"message": "x"}}, status=400), error=error)
    obs = classify.structured_output_with_tools(run, "lookup_order", "TRK-1", Order)
    assert obs.outcome is Outcome.UNSUPPORTED and "cannot be combined" in obs.reason


# --- strict_tool_schema ------------------------------------------------------------------------------------------

STRICT_PARAMS = {"type": "object", "properties": {"guests": {"type": "integer"}}, "required": ["guests"],
                 "additionalProperties": False}  # fmt: skip


def strict_run(arguments: str, *, strict: bool = True, params: dict[str, Any] = STRICT_PARAMS) -> RunRecord:
    tool = {"type": "function", "function": {"name": "book_table", "parameters": params, "strict": strict}}
    body = {"choices": [{"message": {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "book_table", "arguments": arguments}}]}}]}  # fmt: skip
    first = exchange({"messages": [], "tools": [tool]}, body, path="/v1/chat/completions")
    return record(first, error=MaxTurnsExceeded("Max turns (1) exceeded"))


LOOSE = {**STRICT_PARAMS, "additionalProperties": True}


def test_strict_is_supported_only_when_the_control_shows_the_model_adds_the_argument() -> None:
    kept = strict_run('{"guests": 4}')
    assert classify.strict_call_kept_schema(kept, "book_table")
    control = strict_run('{"guests": 4, "note": "window"}', strict=False, params=LOOSE)
    obs = classify.strict_tool_schema(kept, control, "book_table", "note")
    assert obs.outcome is Outcome.SUPPORTED and "enforced" in obs.reason
    # A backend that enforces nothing, with a model that never adds the argument: the same strict call.
    never = classify.strict_tool_schema(
        kept, strict_run('{"guests": 4}', strict=False, params=LOOSE), "book_table", "note"
    )
    assert never.model_missed and never.outcome is not Outcome.SUPPORTED


def test_a_strict_call_that_breaks_its_schema_is_ignored_and_names_how() -> None:
    extra = classify.strict_tool_schema(strict_run('{"guests": 4, "note": "window"}'), None, "book_table", "note")
    assert extra.outcome is Outcome.IGNORED and "the extra argument 'note'" in extra.reason
    typed = classify.strict_tool_schema(strict_run('{"guests": "four"}'), None, "book_table", "note")
    assert typed.outcome is Outcome.IGNORED and "'guests' as str, not integer" in typed.reason
    flagged = classify.strict_tool_schema(strict_run('{"guests": true}'), None, "book_table", "note")
    assert flagged.outcome is Outcome.IGNORED and "bool" in flagged.reason


def test_strict_refused_is_unsupported_and_a_request_without_strict_is_broken() -> None:
    error = status_error(openai.BadRequestError, 400, "Unsupported parameter: 'tools[0].strict'")
    refused = record(exchange({"tools": []}, {"error": {"message": "x"}}, status=400), error=error)
    assert classify.strict_tool_schema(refused, None, "book_table", "note").outcome is Outcome.UNSUPPORTED
    loose = classify.strict_tool_schema(strict_run('{"guests": 4}', strict=False), None, "book_table", "note")
    assert loose.outcome is Outcome.BROKEN and "strict: true" in loose.reason


# --- streamed_tool_call_shape ------------------------------------------------------------------------------------


def chat_stream(*deltas: dict[str, Any]) -> Exchange:
    chunks = [{"choices": [{"index": 0, "delta": {"tool_calls": [d]}}]} for d in deltas]
    raw = b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks) + b"data: [DONE]\n\n"
    return sse_exchange(raw)


def call(index: int | None, call_id: str | None, arguments: Any) -> dict[str, Any]:
    delta: dict[str, Any] = {"type": "function", "function": {"name": "get_weather", "arguments": arguments}}
    if index is not None:
        delta["index"] = index
    if call_id is not None:
        delta["id"] = call_id
    return delta


def test_two_well_shaped_streamed_calls_are_supported() -> None:
    run = record(chat_stream(call(0, "a", '{"c'), call(0, None, '": 1}'), call(1, "b", "{}")), output="ok")
    obs = classify.streamed_tool_call_shape(run)
    assert obs.outcome is Outcome.SUPPORTED and "a, b" in obs.reason


def test_each_broken_property_is_named() -> None:
    no_index = classify.streamed_tool_call_shape(record(chat_stream(call(None, "a", "{}"), call(None, "b", "{}"))))
    assert no_index.outcome is Outcome.BROKEN and "without an integer index" in no_index.reason
    zero = classify.streamed_tool_call_shape(record(chat_stream(call(0, "a", "{}"), call(0, "b", "{}"))))
    assert zero.outcome is Outcome.BROKEN and "share index 0" in zero.reason
    same = classify.streamed_tool_call_shape(record(chat_stream(call(0, "a", "{}"), call(1, "a", "{}"))))
    assert same.outcome is Outcome.BROKEN and "calls share the id a" in same.reason
    blank = classify.streamed_tool_call_shape(record(chat_stream(call(0, "", "{}"), call(1, "b", "{}"))))
    assert blank.outcome is Outcome.BROKEN and "no id" in blank.reason
    both = classify.streamed_tool_call_shape(record(chat_stream(call(None, "a", {"c": 1}), call(1, "b", "{}"))))
    assert "without an integer index" in both.reason and "arguments as a JSON dict, not a string" in both.reason


def test_one_call_cannot_show_unique_ids() -> None:
    obs = classify.streamed_tool_call_shape(record(chat_stream(call(0, "a", "{}")), output="ok"))
    assert obs.model_missed and obs.outcome is not Outcome.SUPPORTED


def responses_stream(*events: dict[str, Any]) -> Exchange:
    items = [e["item"] for e in events if e["type"] == "response.output_item.added"]
    done = {"type": "response.completed", "response": {"object": "response", "output": items}}
    raw = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in (*events, done))
    return sse_exchange(raw, path="/v1/responses")


def added(index: int | None, call_id: str, item_id: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "function_call", "call_id": call_id, "name": "get_weather", "arguments": ""}
    if item_id:
        item["id"] = item_id
    event: dict[str, Any] = {"type": "response.output_item.added", "item": item}
    return event if index is None else {**event, "output_index": index}


def test_a_responses_stream_needs_call_ids_and_located_string_deltas() -> None:
    good = responses_stream(added(0, "c1", "fc1"), {"type": "response.function_call_arguments.delta", "item_id": "fc1",
                            "output_index": 0, "delta": "{}"}, added(1, "c2", "fc2"))  # fmt: skip
    assert classify.streamed_tool_call_shape(record(good, output="ok")).outcome is Outcome.SUPPORTED
    # llama.cpp: no output_index, no item id; its deltas name the call by call_id
    bare = responses_stream(added(None, "c1", None), {"type": "response.function_call_arguments.delta", "item_id": "c1",
                            "delta": "{}"}, added(None, "c2", None))  # fmt: skip
    assert classify.streamed_tool_call_shape(record(bare, output="ok")).outcome is Outcome.SUPPORTED
    bad_delta = {"type": "response.function_call_arguments.delta", "delta": {"a": 1}}
    lost = responses_stream(added(None, "", None), bad_delta, added(None, "c2", None))
    obs = classify.streamed_tool_call_shape(record(lost, output="ok"))
    assert obs.outcome is Outcome.BROKEN
    assert all(p in obs.reason for p in ("no call_id", "not a string", "neither an output_index nor the item_id"))


def test_json_cut_short_where_a_call_belonged_goes_to_the_control_and_a_call_left_as_text_decides() -> None:
    cut = record(exchange(FIRST, response_body('{"tracking_code": "1234567')),
                 error=ModelBehaviorError("Invalid JSON when parsing model output"))  # fmt: skip
    missed = classify.structured_output_with_tools(cut, "lookup_order", "TRK-1", Order)
    assert missed.model_missed and "JSON and no lookup_order call" in missed.reason
    fenced = '```json\n{"name": "lookup_order", "arguments": {"order_id": "A-1"}}\n```'
    as_text = record(exchange({"input": "q", "tools": TOOLS}, response_body(fenced)), output=fenced)
    decided = classify.schema_stopped_call(missed, as_text, "lookup_order")
    assert decided.outcome is Outcome.IGNORED and not decided.model_missed and "returned as text" in decided.reason
