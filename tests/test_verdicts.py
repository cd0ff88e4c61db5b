"""Degenerate evidence never reads as supported: what a do-nothing backend sends, judged by each classifier.

Each test builds the run a backend that counts nothing, buffers a stream, echoes, accepts anything or
answers empty would produce, and checks the classifier names that instead of reading it as proof.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import httpx2
import openai
from agents.exceptions import MaxTurnsExceeded

from agents_compat.judging import classify
from agents_compat.outcomes import Outcome
from agents_compat.running.backend import RunRecord
from agents_compat.wire.capture import Exchange
from tests.test_classify import exchange, record, response_body, turn1, turn2


def sdk_usage(tokens_in: int, tokens_out: int) -> SimpleNamespace:
    return SimpleNamespace(usage=SimpleNamespace(input_tokens=tokens_in, output_tokens=tokens_out))


def usage_run(tokens_in: int, tokens_out: int) -> RunRecord:
    run = record(exchange({"input": "x"}, response_body("ok", usage=(tokens_in, tokens_out))), output="ok")
    run.result.context_wrapper = sdk_usage(tokens_in, tokens_out)
    return run


def test_usage_reported_as_zeros_cannot_tell() -> None:
    obs = classify.usage(usage_run(0, 0), usage_run(0, 0))
    assert obs.outcome is Outcome.IGNORED and "usage reported as 0/0: cannot tell" in obs.reason


def test_usage_the_same_count_for_different_prompts_is_a_constant() -> None:
    obs = classify.usage(usage_run(12, 3), usage_run(12, 3))
    assert obs.outcome is Outcome.IGNORED and "cannot tell" in obs.reason
    assert classify.usage(usage_run(12, 3), usage_run(14, 3)).outcome is Outcome.SUPPORTED


def test_previous_response_id_zero_usage_cannot_prove_resolution() -> None:
    obs = classify.previous_response_id(turn1((0, 0)), turn2("No idea.", usage=(0, 0)), "KIWI-1")
    assert obs.outcome is Outcome.IGNORED and "usage reported as 0/0: cannot tell" in obs.reason


def delta_events(*deltas: str) -> list[Any]:
    return [
        SimpleNamespace(type="raw_response_event", data=SimpleNamespace(type="response.output_text.delta", delta=d))
        for d in deltas
    ]


def streamed_text(*deltas: str) -> RunRecord:
    text = "".join(deltas)
    ex = exchange({"stream": True}, response_body(text))
    ex.streamed = True
    ex.raw_response.clear()
    ex.response_headers = {"content-type": "text/event-stream"}
    done = {"type": "response.completed", "response": response_body(text)}
    ex.raw_response.extend(f"data: {json.dumps(done)}\n\n".encode())
    return record(ex, output=text, stream_events=delta_events(*deltas))


def test_a_many_token_text_in_one_delta_is_not_streaming() -> None:
    obs = classify.streaming(streamed_text("one two three four five"))
    assert obs.outcome is Outcome.IGNORED and "one delta: buffered, not streamed" in obs.reason
    pieces = streamed_text("one ", "two ", "three ", "four ", "five")
    assert classify.streaming(pieces).outcome is Outcome.SUPPORTED


def test_a_one_token_text_in_one_delta_is_fine() -> None:
    obs = classify.streaming(streamed_text("PONG"))
    assert obs.outcome is Outcome.SUPPORTED


def tool_stream(pieces: list[str]) -> RunRecord:
    events = [{"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": p} for p in pieces]
    item = {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "".join(pieces)}
    events.append({"type": "response.completed", "response": {"object": "response", "output": [item]}})
    call = Exchange(
        "POST", "http://backend/v1/responses", {}, {"stream": True}, status=200, streamed=True, complete=True
    )
    call.response_headers = {"content-type": "text/event-stream"}
    call.raw_response.extend(b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events))
    back = exchange({"input": [{"type": "function_call_output", "output": "M-1"}]}, response_body("M-1"))
    stream_events = [
        SimpleNamespace(type="run_item_stream_event", name=n, item=None) for n in ("tool_called", "tool_output")
    ]
    return record(call, back, output="M-1", stream_events=stream_events)


def test_tool_arguments_whole_in_one_delta_are_not_streamed() -> None:
    obs = classify.streaming_tool_calls(tool_stream(['{"city": "Oslo"}']), "get_weather", "M-1")
    assert obs.outcome is Outcome.IGNORED and "whole in one delta" in obs.reason
    split = classify.streaming_tool_calls(tool_stream(['{"city"', ': "Oslo"}']), "get_weather", "M-1")
    assert split.outcome is Outcome.SUPPORTED and "2 pieces" in split.reason


def test_an_empty_output_is_named_as_the_cause() -> None:
    empty = record(exchange({"input": "hi"}, response_body()), output=None)
    obs = classify.function_tools(empty, "get_weather", "M-1")
    assert obs.outcome is Outcome.BROKEN and "empty output" in obs.reason


def test_an_echo_of_the_prompt_is_not_an_answer() -> None:
    prompt = "Reply with exactly: PONG-1"
    echo = record(exchange({"input": prompt}, response_body(prompt)), output=prompt)
    obs = classify.plain_text(echo, prompt, "PONG-1")
    assert obs.outcome is Outcome.IGNORED and "repeats the request" in obs.reason


def handoff_run(answer: str) -> RunRecord:
    call = exchange({"input": "bill?"}, response_body(calls=(("transfer_to_billing", "{}"),)))
    final = exchange({"instructions": "SPEC Begin every answer with B-1."}, response_body(answer))
    run = record(call, final, output=answer)
    run.result.last_agent = SimpleNamespace(name="Billing")
    return run


def test_handoffs_judged_on_the_answer_not_only_the_request() -> None:
    args = ("Billing", "SPEC Begin every answer with B-1.", "B-1")
    assert classify.handoffs(handoff_run("B-1 Refunded."), *args).outcome is Outcome.SUPPORTED
    dropped = classify.handoffs(handoff_run("Refunded."), *args)  # a gateway dropped the system prompt
    assert dropped.outcome is Outcome.IGNORED and "does not follow the specialist's instructions" in dropped.reason
    twice = classify.handoffs(handoff_run("B-1 B-1 Refunded."), *args)  # a gateway repeated it
    assert twice.outcome is Outcome.BROKEN and "2 times" in twice.reason


def named_run(called: str, choice: Any) -> RunRecord:
    return record(exchange({"tool_choice": choice}, response_body(calls=((called, "{}"),))), output="x")


def test_tool_choice_named_in_both_wire_forms() -> None:
    responses_form = {"type": "function", "name": "get_time"}
    chat_form = {"type": "function", "function": {"name": "get_time"}}
    for form in (responses_form, chat_form):
        assert classify.tool_choice_named(named_run("get_time", form), "get_time", "get_weather").outcome is (
            Outcome.SUPPORTED
        )
        ignored = classify.tool_choice_named(named_run("get_weather", form), "get_time", "get_weather")
        assert ignored.outcome is Outcome.IGNORED and "called get_weather" in ignored.reason
    assert classify.tool_choice_named(named_run("get_time", "auto"), "get_time", "get_weather").outcome is (
        Outcome.BROKEN
    )


def refusal(cls: type[openai.APIStatusError], status: int, body: Any, content_type: str) -> RunRecord:
    ex = exchange({}, body, status=status)
    ex.response_headers = {"content-type": content_type}
    if isinstance(body, str):
        ex.raw_response.clear()
        ex.raw_response.extend(body.encode())
    request = httpx2.Request("POST", "http://backend/v1/responses")
    error = cls(f"Error code: {status} - {body}", response=httpx2.Response(status, request=request), body=body)
    return record(ex, error=error)


def case(label: str, run: RunRecord, *expected: type[openai.APIStatusError]) -> classify.ErrorCase:
    return classify.ErrorCase(label, run, expected)


CLEAR_404 = {"error": {"message": "model 'x' not found"}}


def test_error_surfacing_accepting_a_wrong_key_is_not_supported() -> None:
    unknown = case(
        "unknown model", refusal(openai.NotFoundError, 404, CLEAR_404, "application/json"), openai.NotFoundError
    )
    accepted = case("wrong API key", record(exchange({}, response_body("hi")), output="hi"), openai.AuthenticationError)
    obs = classify.error_surfacing([unknown, accepted])
    assert obs.outcome is Outcome.IGNORED and "wrong API key: accepted" in obs.reason
    assert classify.error_surfacing([unknown]).outcome is Outcome.SUPPORTED


def test_error_surfacing_refused_with_no_usable_message() -> None:
    bare = refusal(openai.NotFoundError, 404, {"error": {"type": "not_found"}}, "application/json")
    obs = classify.error_surfacing([case("unknown model", bare, openai.NotFoundError)])
    assert obs.outcome is Outcome.BROKEN and "no usable message" in obs.reason


def test_error_surfacing_a_non_json_refusal_is_not_clean() -> None:
    text = refusal(openai.NotFoundError, 404, "404 page not found", "text/plain")
    obs = classify.error_surfacing([case("unknown model", text, openai.NotFoundError)])
    assert obs.outcome is Outcome.BROKEN and "non-JSON body" in obs.reason


def test_the_sdk_wrapper_text_is_never_the_backends_message() -> None:
    bare = refusal(openai.BadRequestError, 400, {"error": {"type": "invalid"}}, "application/json")
    obs = classify.failure(bare)
    assert obs.outcome is Outcome.BROKEN and "no usable message" in obs.reason and "Error code" not in obs.reason


def store_run() -> RunRecord:
    run = record(exchange({"store": False}, response_body("ok")), output="ok")
    run.result.last_response_id = "resp_1"
    return run


def test_store_false_a_non_json_refusal_is_not_a_clean_one() -> None:
    clear = refusal(openai.NotFoundError, 404, {"error": {"message": "Response not found."}}, "application/json")
    page = refusal(openai.NotFoundError, 404, "404 page not found", "text/plain")
    chain = refusal(openai.BadRequestError, 400, {"error": {"message": "not found"}}, "application/json")
    assert classify.store_false(store_run(), clear, chain, "KIWI-1").outcome is Outcome.SUPPORTED
    obs = classify.store_false(store_run(), page, chain, "KIWI-1")
    assert obs.outcome is Outcome.BROKEN and "non-JSON body, not a clear refusal" in obs.reason


def count(tokens: int) -> RunRecord:
    return record(output=None) if tokens < 0 else RunRecord(result=SimpleNamespace(input_tokens=tokens))


def test_input_tokens_a_constant_count_is_not_a_count() -> None:
    run = record(exchange({"input": "x"}, response_body("ok", usage=(9, 2))), output="ok")
    obs = classify.input_tokens(count(9), run, count(9))
    assert obs.outcome is Outcome.IGNORED and "not a count" in obs.reason
    assert classify.input_tokens(count(9), run, count(16)).outcome is Outcome.SUPPORTED


def test_response_retrieval_refuses_a_backend_that_answers_any_id() -> None:
    run = record(exchange({"input": "R-1"}, response_body("ok")), output="ok")
    run.result.last_response_id = "resp_1"
    fetch = RunRecord(result=SimpleNamespace(id="resp_1", output_text="ok"))
    items = RunRecord(result=SimpleNamespace(data=[SimpleNamespace(model_dump=lambda: {"text": "R-1"})]))
    gone = refusal(openai.NotFoundError, 404, {"error": {"message": "not found"}}, "application/json")
    assert classify.response_retrieval(run, fetch, items, "R-1", 1, gone).outcome is Outcome.SUPPORTED
    echoed = RunRecord(result=SimpleNamespace(id="resp_1"))
    obs = classify.response_retrieval(run, fetch, items, "R-1", 1, echoed)
    assert obs.outcome is Outcome.BROKEN and "never issued" in obs.reason


def test_namespaced_ids_on_a_backend_that_answers_any_id_cannot_tell() -> None:
    ok = record(exchange({"model": "acme/m"}, response_body("hi")), output="hi")
    bogus = record(exchange({"model": "acme/no-such-model-0"}, response_body("hi")), output="hi")
    obs = classify.namespaced_model_ids(ok, ok, "acme/m", bogus)
    assert obs.outcome is Outcome.IGNORED and "cannot tell" in obs.reason
    refused = refusal(openai.NotFoundError, 404, CLEAR_404, "application/json")
    assert classify.namespaced_model_ids(ok, ok, "acme/m", refused).outcome is Outcome.SUPPORTED


def test_store_false_on_a_backend_that_keeps_nothing_cannot_tell() -> None:
    clear = refusal(openai.NotFoundError, 404, {"error": {"message": "Response not found."}}, "application/json")
    chain = refusal(openai.BadRequestError, 400, {"error": {"message": "not supported"}}, "application/json")
    nothing_kept = classify.StoreControl(store_run(), clear, chain)
    obs = classify.store_false(store_run(), clear, chain, "KIWI-1", nothing_kept)
    assert obs.outcome is Outcome.IGNORED and "nothing is kept at all, so cannot tell" in obs.reason
    retrievable = classify.StoreControl(store_run(), RunRecord(result=SimpleNamespace(id="resp_1")), None)
    obs = classify.store_false(store_run(), clear, chain, "KIWI-1", retrievable)
    assert obs.outcome is Outcome.SUPPORTED and "store=true response was retrievable" in obs.reason


def test_parallel_calls_sharing_an_id_are_broken() -> None:
    def two_calls(second_id: str) -> RunRecord:
        body = response_body(calls=(("get_weather", "{}"), ("get_time", "{}")))
        body["output"][1]["call_id"] = second_id
        back = exchange({"input": "W-1 T-1"}, response_body("W-1 T-1"))
        return record(exchange({"input": "both"}, body), back, output="W-1 T-1")

    tools, markers = ("get_weather", "get_time"), ("W-1", "T-1")
    shared = classify.parallel_tool_calls(two_calls("c1"), tools, markers)
    assert shared.outcome is Outcome.BROKEN and "share an id" in shared.reason
    assert classify.parallel_tool_calls(two_calls("c2"), tools, markers).outcome is Outcome.SUPPORTED


def test_parallel_calls_in_the_last_turn_of_a_stopped_run_cannot_tell() -> None:
    # llama.cpp 4227c9b with Qwen2.5-Coder-0.5B: one call, then both together, then the SDK's turn cap.
    weather = response_body(calls=(("get_weather", "{}"),))
    both = response_body(calls=(("get_weather", "{}"), ("get_time", "{}")))
    both["output"][1]["call_id"] = "c2"
    capped = record(
        exchange({"input": "both"}, weather), exchange({"input": "W-1"}, both), error=MaxTurnsExceeded("Max turns (2)")
    )
    obs = classify.parallel_tool_calls(capped, ("get_weather", "get_time"), ("W-1", "T-1"))
    assert obs.model_missed and "last turn the run allowed" in obs.reason
    assert obs.on_tier("live").outcome is Outcome.INCONCLUSIVE
    # The same two calls with a later request that left the results out: the results were dropped.
    dropped = record(
        exchange({"input": "both"}, both), exchange({"input": "none"}, weather), error=MaxTurnsExceeded("Max turns (2)")
    )
    obs = classify.parallel_tool_calls(dropped, ("get_weather", "get_time"), ("W-1", "T-1"))
    assert obs.outcome is Outcome.BROKEN and "never went back together" in obs.reason
