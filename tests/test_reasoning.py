"""reasoning_roundtrip: the classifier on hand-made runs, the wire reading, and the emulators' reasoning quirks.

Every degenerate backend the column exists for (no reasoning, reasoning left in the text as tags, dropped on
the tool turn, reshaped, leaked into the answer, encrypted_content not honoured) must never read supported.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import openai

from agents_compat.emulators import HttpRequest, create
from agents_compat.judging import classify, evidence
from agents_compat.outcomes import Outcome
from agents_compat.running.backend import RunRecord
from agents_compat.wire.capture import Exchange
from tests.test_classify import exchange, record, status_error

MARKER = "report W-7781"
CALL = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
THINK_1, THINK_2 = "The question names get_weather, so I call it.", "I have what I need, so I answer now."
ANSWER = f"According to get_weather: Paris: sunny, {MARKER}"


def chat_turn(message: dict[str, Any], request: dict[str, Any] | None = None) -> Any:
    return exchange(request or {"messages": []}, {"choices": [{"message": message}]}, "/v1/chat/completions")


def sdk_items(*texts: str) -> list[Any]:
    raw = [SimpleNamespace(summary=[SimpleNamespace(text=t)], content=None) for t in texts]
    return [SimpleNamespace(type="reasoning_item", raw_item=r) for r in raw]


def chat_run(
    first: dict[str, Any], second: dict[str, Any], surfaced: tuple[str, ...], output: str = ANSWER
) -> RunRecord:
    sent_back = {"messages": [{"role": "assistant", "content": None, "tool_calls": [CALL]}]}
    run = record(chat_turn(first), chat_turn(second, sent_back), output=output)
    run.result.new_items = sdk_items(*surfaced)
    return run


def judged(run: RunRecord, include: bool = False) -> Any:
    return classify.reasoning_roundtrip(run, "get_weather", MARKER, include)


def test_reasoning_in_a_field_on_both_turns_is_supported() -> None:
    run = chat_run(
        {"content": "", "tool_calls": [CALL], "reasoning_content": THINK_1},
        {"content": ANSWER, "reasoning_content": THINK_2},
        (THINK_1, THINK_2),
    )
    found = judged(run)
    assert found.outcome is Outcome.SUPPORTED, found.reason
    assert "turn 1: reasoning_content, 45 chars" in found.reason and "not sent back" in found.reason


def test_no_reasoning_at_all_is_never_supported() -> None:
    found = judged(chat_run({"content": "", "tool_calls": [CALL]}, {"content": ANSWER}, ()))
    assert found.outcome is Outcome.IGNORED and found.model_missed
    assert "no reasoning on the wire in any of 2 turns" in found.reason and "<think> tags" in found.reason


def test_think_tags_left_in_the_content_are_ignored() -> None:
    tagged = f"<think>{THINK_2}</think>\n{ANSWER}"
    found = judged(
        chat_run({"content": f"<think>{THINK_1}</think>", "tool_calls": [CALL]}, {"content": tagged}, (), tagged)
    )
    assert found.outcome is Outcome.IGNORED
    assert "inside the message content as <think> tags (turn 1" in found.reason and "final text carries" in found.reason


def test_reasoning_dropped_on_the_tool_turn_is_not_supported() -> None:
    run = chat_run({"content": "", "tool_calls": [CALL], "reasoning": THINK_1}, {"content": ANSWER}, (THINK_1,))
    found = judged(run)
    assert found.outcome is not Outcome.SUPPORTED and "but not on turn 2" in found.reason


def test_reshaped_reasoning_is_broken_and_named() -> None:
    as_object = chat_run({"content": "", "tool_calls": [CALL], "reasoning": {"text": THINK_1}}, {"content": ANSWER}, ())
    found = judged(as_object)
    assert found.outcome is Outcome.BROKEN and "turn 1: `reasoning` is an object, not a string" in found.reason
    renamed = chat_run({"content": "", "tool_calls": [CALL], "reasoning_text": THINK_1}, {"content": ANSWER}, ())
    assert "`reasoning_text`, a field the SDK does not read" in judged(renamed).reason


def test_reasoning_leaked_into_the_final_text_is_broken() -> None:
    leaked = f"{THINK_2} {ANSWER}"
    run = chat_run(
        {"content": "", "tool_calls": [CALL], "reasoning_content": THINK_1},
        {"content": leaked, "reasoning_content": THINK_2},
        (THINK_1, THINK_2),
        leaked,
    )
    found = judged(run)
    assert found.outcome is Outcome.BROKEN and "final text repeats turn 2's reasoning_content" in found.reason


def test_reasoning_the_sdk_never_surfaced_is_broken() -> None:
    run = chat_run(
        {"content": "", "tool_calls": [CALL], "reasoning_content": THINK_1},
        {"content": ANSWER, "reasoning_content": THINK_2},
        (THINK_2,),
    )
    assert "turn 1's reasoning_content (45 chars) never became an SDK reasoning item" in judged(run).reason


def responses_run(encrypted: str | None, sent: str | None) -> RunRecord:
    item: dict[str, Any] = {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": THINK_1}]}
    if encrypted is not None:
        item["encrypted_content"] = encrypted
    call = {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"}
    second_item = {"type": "reasoning", "id": "rs_2", "summary": [{"type": "summary_text", "text": THINK_2}]}
    message = {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": ANSWER}]}
    back = [{"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": sent}] if sent else []
    run = record(
        exchange({"input": "x"}, {"object": "response", "output": [item, call]}),
        exchange({"input": [*back, call]}, {"object": "response", "output": [second_item, message]}),
        output=ANSWER,
    )
    run.result.new_items = sdk_items(THINK_1, THINK_2)
    return run


def test_store_false_needs_the_encrypted_content_it_asked_for() -> None:
    assert "carried no encrypted_content" in judged(responses_run(None, None), include=True).reason
    empty = judged(responses_run("", None), include=True)
    assert empty.outcome is Outcome.IGNORED and "carried an empty encrypted_content" in empty.reason
    assert judged(responses_run("c2VhbGVk", None), include=True).outcome is Outcome.BROKEN  # never sent back
    honoured = judged(responses_run("c2VhbGVk", "c2VhbGVk"), include=True)
    assert honoured.outcome is Outcome.SUPPORTED and "its encrypted_content (8 chars)" in honoured.reason


def test_a_clear_refusal_of_reasoning_is_unsupported() -> None:
    refused = exchange({"messages": []}, {"error": {"message": '"m" does not support thinking'}}, status=400)
    error = status_error(openai.BadRequestError, 400, '"m" does not support thinking')
    found = judged(record(refused, error=error))
    assert found.outcome is Outcome.UNSUPPORTED and "turn 1: refused: 400" in found.reason


def test_streamed_reasoning_is_joined_over_its_deltas() -> None:
    chunks = [{"choices": [{"delta": {"reasoning": piece}}]} for piece in ("The question ", "names it.")]
    streamed = Exchange(
        "POST", "http://backend/v1/chat/completions", {}, {"stream": True}, status=200, streamed=True, complete=True
    )
    streamed.response_headers = {"content-type": "text/event-stream"}
    streamed.raw_response.extend(b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks))
    assert [(r.where, r.text) for r in evidence.reasoning(streamed)] == [("reasoning", "The question names it.")]


# --- the emulators ---------------------------------------------------------------------------------


def post(family: str, model: str, path: str, body: dict[str, Any], options: dict[str, Any] | None = None) -> Any:
    reply = create(family, model, options).handle(HttpRequest("POST", path, {}, json.dumps(body).encode()))
    return reply.status, reply.payload()


THINKING = {"messages": [{"role": "system", "content": "Write <think> first."}, {"role": "user", "content": "hi"}]}


def test_ollama_refuses_thinking_for_a_model_without_it() -> None:
    body = {**THINKING, "model": "qwen2.5-coder:0.5b", "reasoning_effort": "low"}
    status, payload = post(
        "ollama",
        "qwen2.5-coder:0.5b",
        "/v1/chat/completions",
        body,
        {"models_without_thinking": ["qwen2.5-coder:0.5b"]},
    )
    assert status == 400 and payload["error"]["message"] == '"qwen2.5-coder:0.5b" does not support thinking'
    status, payload = post("ollama", "qwen3:0.6b", "/v1/chat/completions", {**body, "model": "qwen3:0.6b"})
    assert status == 200 and payload["choices"][0]["message"]["reasoning"]


def test_llamacpp_parses_think_tags_only_with_a_reasoning_template() -> None:
    body = {**THINKING, "model": "m"}
    _, plain = post("llamacpp", "m", "/v1/chat/completions", body)
    assert plain["choices"][0]["message"]["content"].startswith("<think>")
    _, parsed = post("llamacpp", "m", "/v1/chat/completions", body, {"reasoning_template": True})
    assert (
        parsed["choices"][0]["message"]["reasoning_content"]
        and "<think>" not in parsed["choices"][0]["message"]["content"]
    )
    _, item = post(
        "llamacpp",
        "m",
        "/v1/responses",
        {"model": "m", "instructions": "<think>", "input": "hi"},
        {"reasoning_template": True},
    )
    assert item["output"][0]["type"] == "reasoning" and item["output"][0]["encrypted_content"] == ""


def test_openai_cannot_find_a_reasoning_item_it_never_kept() -> None:
    body = {"model": "o4-mini", "store": False, "input": [{"type": "reasoning", "id": "rs_9", "summary": []}]}
    status, payload = post("openai", "o4-mini", "/v1/responses", body)
    assert status == 404 and "Items are not persisted when `store` is set to false" in payload["error"]["message"]
    sealed = {"model": "o4-mini", "instructions": "<think>", "input": "hi", "include": ["reasoning.encrypted_content"]}
    _, answer = post("openai", "o4-mini", "/v1/responses", {**sealed, "reasoning": {"effort": "low"}})
    assert answer["output"][0]["encrypted_content"]
