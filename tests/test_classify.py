"""Classifiers judged on synthetic RunRecords: an SDK result or exception plus hand-made wire exchanges."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import httpx2
import openai
from agents.exceptions import MaxTurnsExceeded, ModelBehaviorError, UserError
from pydantic import BaseModel

from agents_compat.judging import classify
from agents_compat.outcomes import Outcome
from agents_compat.running.backend import RunRecord
from agents_compat.wire.capture import Exchange

SDK_DROP_WARNING = (
    "OpenAIChatCompletionsModel does not support server-managed conversation state (previous_response_id). "
    "Ignoring unsupported server-managed conversation state; enable strict feature validation to raise an error instead"
)
SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


def exchange(request: dict[str, Any], response: Any, path: str = "/v1/responses", status: int = 200) -> Exchange:
    ex = Exchange("POST", f"http://backend{path}", {}, request, status=status, complete=True)
    ex.response_headers = {"content-type": "application/json"}
    ex.raw_response.extend(json.dumps(response).encode())
    return ex


def response_body(
    text: str | None = None, calls: tuple[tuple[str, str], ...] = (), usage: tuple[int, int] | None = None
) -> dict:
    output: list[dict[str, Any]] = []
    if text is not None:
        output.append({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]})
    output += [{"type": "function_call", "call_id": "c1", "name": n, "arguments": a} for n, a in calls]
    body: dict[str, Any] = {"object": "response", "id": "resp_1", "output": output}
    if usage:
        body["usage"] = {"input_tokens": usage[0], "output_tokens": usage[1], "total_tokens": sum(usage)}
    return body


def record(*exchanges: Exchange, output: Any = None, error: BaseException | None = None, **kw: Any) -> RunRecord:
    result = None if error else SimpleNamespace(final_output=output)
    return RunRecord(result=result, error=error, exchanges=list(exchanges), **kw)


def status_error(cls: type[openai.APIStatusError], status: int, message: str) -> openai.APIStatusError:
    request = httpx2.Request("POST", "http://backend/v1/responses")
    body = {"error": {"message": message}} if message else None
    return cls(message, response=httpx2.Response(status, request=request), body=body)


# --- failure -----------------------------------------------------------------------------------


def test_failure_none_when_run_finished() -> None:
    assert classify.failure(record(output="hi")) is None


def test_failure_401_is_error() -> None:
    obs = classify.failure(record(error=status_error(openai.AuthenticationError, 401, "invalid master key")))
    assert obs.outcome is Outcome.ERROR and "credentials rejected" in obs.reason


def test_failure_429_is_error() -> None:
    obs = classify.failure(record(error=status_error(openai.RateLimitError, 429, "slow down")))
    assert obs.outcome is Outcome.ERROR and "rate limited" in obs.reason


def test_failure_404_model_is_error() -> None:
    obs = classify.failure(record(error=status_error(openai.NotFoundError, 404, "model 'x' not found")))
    assert obs.outcome is Outcome.ERROR and "model not available" in obs.reason


def test_failure_404_previous_response_is_unsupported() -> None:
    error = status_error(openai.NotFoundError, 404, "Response with id 'resp_1' not found.")
    assert classify.failure(record(error=error)).outcome is Outcome.UNSUPPORTED


def test_failure_400_with_message_is_unsupported() -> None:
    error = status_error(openai.BadRequestError, 400, "llama.cpp does not support 'previous_response_id'.")
    obs = classify.failure(record(error=error), "turn 2")
    assert obs.outcome is Outcome.UNSUPPORTED
    assert obs.reason == "turn 2: refused: 400 llama.cpp does not support 'previous_response_id'."


def test_failure_400_without_message_is_broken() -> None:
    obs = classify.failure(record(error=status_error(openai.BadRequestError, 400, "")))
    assert obs.outcome is Outcome.BROKEN


def test_failure_500_is_broken() -> None:
    obs = classify.failure(record(error=status_error(openai.InternalServerError, 500, "validation error")))
    assert obs.outcome is Outcome.BROKEN and "500" in obs.reason


def test_failure_connection_error_is_error() -> None:
    error = openai.APIConnectionError(request=httpx2.Request("POST", "http://backend/v1/responses"))
    obs = classify.failure(record(error=error))
    assert obs.outcome is Outcome.ERROR and "connection failed" in obs.reason


def test_failure_model_behavior_error_is_broken() -> None:
    obs = classify.failure(record(error=ModelBehaviorError("Invalid JSON when parsing output")))
    assert obs.outcome is Outcome.BROKEN and "ModelBehaviorError" in obs.reason


def incomplete(text: str, output_tokens: int, request: dict[str, Any] | None = None) -> Exchange:
    body = {**response_body(text, usage=(30, output_tokens)), "status": "incomplete"}
    body["incomplete_details"] = {"reason": "max_output_tokens"}
    return exchange(request or {"input": "hi"}, body)


TRUNCATED = ModelBehaviorError("Responses stream ended with terminal event `response.incomplete`.")


def test_failure_an_answer_cut_at_the_servers_own_cap_is_inconclusive() -> None:
    obs = classify.failure(record(incomplete("2019-03-25 16:22:12, KIWI", 128), error=TRUNCATED))
    assert obs.outcome is Outcome.INCONCLUSIVE and "output cap (128 tokens" in obs.reason


def test_failure_a_truncation_the_request_asked_for_or_an_empty_one_stays_broken() -> None:
    asked = incomplete("one two", 16, {"input": "hi", "max_output_tokens": 16})
    assert classify.failure(record(asked, error=TRUNCATED)).outcome is Outcome.BROKEN
    assert classify.failure(record(incomplete("", 0), error=TRUNCATED)).outcome is Outcome.BROKEN
    assert classify.failure(record(incomplete("words", 0), error=TRUNCATED)).outcome is Outcome.BROKEN


def test_failure_timed_out_is_error() -> None:
    obs = classify.failure(RunRecord(timed_out=True, seconds=12.0))
    assert obs.outcome is Outcome.ERROR and "12.0 s" in obs.reason


def test_failure_generic_exception_is_broken_crash() -> None:
    obs = classify.failure(record(error=KeyError("choices")))
    assert obs.outcome is Outcome.BROKEN and "SDK crashed: KeyError" in obs.reason


def test_failure_json_decode_error_is_broken_malformed_json() -> None:
    obs = classify.failure(record(error=json.JSONDecodeError("Expecting value", "{", 1)))
    assert obs.outcome is Outcome.BROKEN and "malformed JSON from the backend: JSONDecodeError" in obs.reason


def test_failure_agents_exception_is_broken_sdk_error() -> None:
    obs = classify.failure(record(error=UserError("Unknown prefix: anthropic")))
    assert obs.outcome is Outcome.BROKEN and "SDK error: UserError" in obs.reason


# --- plain_text --------------------------------------------------------------------------------


def test_plain_text_supported_when_output_is_wire_text() -> None:
    obs = classify.plain_text(
        record(exchange({"input": "hi"}, response_body("hello")), output="hello"),
        "Reply with exactly: hello",
        "hello",
    )
    assert obs.outcome is Outcome.SUPPORTED


def test_plain_text_broken_when_output_differs_from_wire() -> None:
    obs = classify.plain_text(
        record(exchange({"input": "hi"}, response_body("hello")), output="goodbye"),
        "Reply with exactly: hello",
        "hello",
    )
    assert obs.outcome is Outcome.BROKEN


def test_plain_text_reads_chat_completion_body() -> None:
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}}]}
    obs = classify.plain_text(
        record(exchange({}, body, path="/v1/chat/completions"), output="hello"),
        "Reply with exactly: hello",
        "hello",
    )
    assert obs.outcome is Outcome.SUPPORTED


def test_plain_text_broken_when_no_text() -> None:
    obs = classify.plain_text(
        record(exchange({"input": "hi"}, response_body("")), output=""),
        "Reply with exactly: hello",
        "hello",
    )
    assert obs.outcome is Outcome.BROKEN and "no text" in obs.reason


# --- structured_output -------------------------------------------------------------------------


class Person(BaseModel):
    name: str


def schema_request() -> dict[str, Any]:
    return {"text": {"format": {"type": "json_schema", "name": "final_output", "schema": SCHEMA}}}


def test_structured_output_ignored_when_schema_sent_and_reply_invalid() -> None:
    rec = record(exchange(schema_request(), response_body("You said: hi")), error=ModelBehaviorError("Invalid JSON"))
    obs = classify.structured_output(rec, Person)
    assert obs.outcome is Outcome.IGNORED and "You said: hi" in obs.reason


def test_structured_output_broken_when_model_behavior_error_without_schema() -> None:
    rec = record(exchange({"input": "hi"}, response_body("x")), error=ModelBehaviorError("Invalid JSON"))
    assert classify.structured_output(rec, Person).outcome is Outcome.BROKEN


def test_structured_output_supported_when_schema_sent_and_output_validates() -> None:
    rec = record(exchange(schema_request(), response_body('{"name": "Alice"}')), output=Person(name="Alice"))
    assert classify.structured_output(rec, Person).outcome is Outcome.SUPPORTED


def test_structured_output_reads_chat_response_format() -> None:
    request = {"response_format": {"type": "json_schema", "json_schema": {"name": "final_output", "schema": SCHEMA}}}
    reply = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Ada, not JSON"}}]}
    rec = record(exchange(request, reply, path="/v1/chat/completions"), error=ModelBehaviorError("Invalid JSON"))
    assert classify.structured_output(rec, Person).outcome is Outcome.IGNORED


# --- previous_response_id ----------------------------------------------------------------------


def turn1(usage: tuple[int, int] = (10, 5)) -> RunRecord:
    body = response_body("You said: Remember this: the code word is KIWI-1.", usage=usage)
    return record(exchange({"input": "Remember this: the code word is KIWI-1."}, body), output="ok")


def turn2(answer: str, previous: str | None = "resp_1", usage: tuple[int, int] = (8, 4), **kw: Any) -> RunRecord:
    request: dict[str, Any] = {"input": "What is the code word?"}
    if previous:
        request["previous_response_id"] = previous
    return record(exchange(request, response_body(answer, usage=usage)), output=answer, **kw)


def test_previous_response_id_ignored_when_sdk_dropped_it() -> None:
    chat_turn2 = turn2("I do not know the code word.", previous=None, warnings=[SDK_DROP_WARNING])
    obs = classify.previous_response_id(turn1(), chat_turn2, "KIWI-1")
    assert obs.outcome is Outcome.IGNORED
    assert "never reached the backend" in obs.reason and "SDK warning" in obs.reason


def test_previous_response_id_supported_when_answer_has_code_word() -> None:
    obs = classify.previous_response_id(turn1(), turn2("The code word is KIWI-1."), "KIWI-1")
    assert obs.outcome is Outcome.SUPPORTED


def test_previous_response_id_supported_by_token_evidence() -> None:
    obs = classify.previous_response_id(turn1((10, 5)), turn2("No idea.", usage=(15, 2)), "KIWI-1")
    assert obs.outcome is Outcome.SUPPORTED and "input tokens (15)" in obs.reason


def test_previous_response_id_ignored_when_neither_answer_nor_tokens() -> None:
    obs = classify.previous_response_id(turn1((10, 5)), turn2("No idea.", usage=(14, 2)), "KIWI-1")
    assert obs.outcome is Outcome.IGNORED and "was accepted" in obs.reason


def test_previous_response_id_broken_when_turn2_repeats_turn1_locally() -> None:
    rec = turn2("The code word is KIWI-1.")
    rec.exchanges[0].request_body["input"] = "Remember this: the code word is KIWI-1. What is the code word?"
    assert classify.previous_response_id(turn1(), rec, "KIWI-1").outcome is Outcome.BROKEN


def test_previous_response_id_turn2_refusal_is_unsupported() -> None:
    error = status_error(openai.BadRequestError, 400, "llama.cpp does not support 'previous_response_id'.")
    obs = classify.previous_response_id(turn1(), record(error=error), "KIWI-1")
    assert obs.outcome is Outcome.UNSUPPORTED and obs.reason.startswith("turn 2: ")


# --- function_tools ----------------------------------------------------------------------------


def text_only_run() -> RunRecord:
    return record(exchange({"input": "weather?"}, response_body("It is sunny.")), output="It is sunny.")


def test_function_tools_inconclusive_live_without_call() -> None:
    obs = classify.function_tools(text_only_run(), "get_weather", "MARKER-7")
    assert obs.model_missed and obs.on_tier("live").outcome is Outcome.INCONCLUSIVE


def test_function_tools_ignored_mocked_without_call() -> None:
    obs = classify.function_tools(text_only_run(), "get_weather", "MARKER-7")
    assert obs.on_tier("mocked").outcome is Outcome.IGNORED


def test_function_tools_supported_when_result_returns_and_is_used() -> None:
    call = exchange({"input": "weather?"}, response_body(calls=(("get_weather", '{"city": "Paris"}'),)))
    back = exchange({"input": [{"type": "function_call_output", "output": "MARKER-7"}]}, response_body("MARKER-7"))
    obs = classify.function_tools(record(call, back, output="MARKER-7"), "get_weather", "MARKER-7")
    assert obs.outcome is Outcome.SUPPORTED


def test_function_tools_broken_when_result_never_sent_back() -> None:
    call = exchange({"input": "weather?"}, response_body(calls=(("get_weather", "{}"),)))
    obs = classify.function_tools(record(call, output="done"), "get_weather", "MARKER-7")
    assert obs.outcome is Outcome.BROKEN


def looped_run(second_input: int | None, first: tuple[int, int] = (134, 17)) -> RunRecord:
    """A model that called get_weather again after its result, until the SDK's MaxTurnsExceeded (seen live)."""
    again = response_body(
        calls=(("get_weather", '{"city": "Paris"}'),), usage=(second_input, 16) if second_input else None
    )
    call = exchange({"input": "weather?"}, response_body(calls=(("get_weather", '{"city": "Paris"}'),), usage=first))
    result = "Paris: sunny, 21 C, report MARKER-7"
    back = exchange({"input": [{"type": "function_call_output", "output": result}]}, again)
    return record(call, back, error=MaxTurnsExceeded("Max turns (3) exceeded"))


def test_function_tools_looped_run_is_supported_when_the_backend_counted_the_result() -> None:
    # Ollama 0.24.0 with Qwen2.5-Coder-0.5B: 134 input tokens, a 17-token call, then 184 with the result.
    obs = classify.function_tools(looped_run(184), "get_weather", "MARKER-7")
    assert obs.outcome is Outcome.SUPPORTED and "MaxTurnsExceeded" in obs.reason and "134 -> 184" in obs.reason


def test_function_tools_looped_run_is_ignored_when_the_result_was_left_out_of_the_prompt() -> None:
    # What a server that drops the tool message counts: the earlier prompt and the call it re-renders, no more.
    obs = classify.function_tools(looped_run(154), "get_weather", "MARKER-7")
    assert obs.outcome is Outcome.IGNORED and "left it out of the prompt" in obs.reason


def test_function_tools_looped_run_without_token_counts_cannot_tell() -> None:
    unknown = classify.function_tools(looped_run(None), "get_weather", "MARKER-7")
    assert unknown.on_tier("live").outcome is Outcome.INCONCLUSIVE
    zeros = classify.function_tools(looped_run(184, first=(0, 0)), "get_weather", "MARKER-7")
    assert zeros.on_tier("live").outcome is Outcome.INCONCLUSIVE


def test_a_loop_over_a_failing_wire_is_still_a_failure() -> None:
    run = looped_run(184)
    run.exchanges[-1].status = 500
    assert classify.function_tools(run, "get_weather", "MARKER-7").outcome is Outcome.BROKEN


def test_tool_choice_named_is_judged_on_the_first_turn_of_a_looped_run() -> None:
    named = {"type": "function", "function": {"name": "get_time"}}
    first = exchange({"tool_choice": named}, response_body(calls=(("get_weather", "{}"),)))
    run = record(first, error=MaxTurnsExceeded("Max turns (3) exceeded"))
    obs = classify.tool_choice_named(run, "get_time", "get_weather")
    assert obs.outcome is Outcome.IGNORED and "called get_weather" in obs.reason


# --- faults named from the wire ------------------------------------------------------------------


def sse_exchange(raw: bytes, path: str = "/v1/chat/completions", complete: bool = True) -> Exchange:
    ex = Exchange("POST", f"http://backend{path}", {}, {"stream": True}, status=200, streamed=True, complete=complete)
    ex.response_headers = {"content-type": "text/event-stream"}
    ex.raw_response.extend(raw)
    return ex


CHUNK = b'data: {"choices": [{"index": 0, "delta": {"content": "hi"}}]}\n\n'


def test_a_finished_run_on_a_chat_stream_without_done_is_broken() -> None:
    obs = classify.failure(record(sse_exchange(CHUNK), output="hi"))
    assert obs.outcome is Outcome.BROKEN and "without data: [DONE]" in obs.reason and "without an error" in obs.reason
    assert classify.failure(record(sse_exchange(CHUNK + b"data: [DONE]\n\n"), output="hi")) is None


def test_a_stream_cut_mid_event_is_broken_whatever_the_sdk_raised() -> None:
    obs = classify.failure(record(sse_exchange(CHUNK[:30]), error=json.JSONDecodeError("Unterminated", "{", 1)))
    assert obs.outcome is Outcome.BROKEN and obs.reason.startswith("the stream ended mid-event: JSONDecodeError")


def test_an_html_502_is_broken_and_says_so() -> None:
    page = Exchange("POST", "http://backend/v1/responses", {}, {}, status=502, complete=True)
    page.response_headers = {"content-type": "text/html"}
    page.raw_response.extend(b"<html><head><title>502 Bad Gateway</title></head></html>")
    error = status_error(openai.InternalServerError, 502, "")
    obs = classify.failure(record(page, error=error))
    assert obs.outcome is Outcome.BROKEN and "HTML error page ('502 Bad Gateway')" in obs.reason


def test_a_connection_lost_after_the_status_line_is_broken_before_it_an_error() -> None:
    error = openai.APIConnectionError(request=httpx2.Request("POST", "http://backend/v1/responses"))
    cut = sse_exchange(CHUNK, path="/v1/responses", complete=False)
    assert classify.failure(record(cut, error=error)).reason.startswith("the connection was reset mid-response")
    never = Exchange("POST", "http://backend/v1/responses", {}, {})
    assert classify.failure(record(never, error=error)).outcome is Outcome.ERROR


def test_error_surfacing_hands_an_unasked_429_to_failure() -> None:
    limited = record(
        exchange({}, {"error": {"message": "slow down"}}, status=429),
        error=status_error(openai.RateLimitError, 429, "slow down"),
    )
    obs = classify.error_surfacing([classify.ErrorCase("unknown model", limited, (openai.NotFoundError,))])
    assert obs.outcome is Outcome.ERROR and obs.reason.startswith("unknown model: rate limited: 429")
