"""A scenario's steps: one headline per captured exchange, for either API and body kind."""

from __future__ import annotations

from typing import Any

from agents_compat.report.steps import step


def exchange(url: str, request: Any, status: int | None, response: Any, streamed: bool = False) -> dict[str, Any]:
    return {
        "request": {"method": "POST", "url": url, "headers": {}, "body": request},
        "response": {"status": status, "headers": {}, "body": response, "streamed": streamed, "complete": True},
        "seconds": 0.0,
    }


def test_chat_turn_shows_the_user_message_and_the_answer() -> None:
    found = step(
        exchange(
            "http://h/v1/chat/completions",
            {"messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "Say PONG"}]},
            200,
            {"choices": [{"message": {"role": "assistant", "content": "PONG"}}]},
        )
    )
    assert (found.request, found.status, found.sent, found.received) == (
        "POST /v1/chat/completions",
        200,
        "user: Say PONG",
        "answered: PONG",
    )


def test_responses_tool_result_and_tool_call() -> None:
    found = step(
        exchange(
            "http://h/v1/responses",
            {"input": [{"type": "function_call_output", "call_id": "c1", "output": "Paris: sunny"}]},
            200,
            {"object": "response", "output": [{"type": "function_call", "name": "get_time", "arguments": "{}"}]},
        )
    )
    assert found.sent == "tool result: Paris: sunny"
    assert found.received == "calls get_time({})"


def test_streamed_chat_text_is_joined() -> None:
    events = [
        {"event": None, "data": {"choices": [{"delta": {"content": "PO"}}]}},
        {"event": None, "data": {"choices": [{"delta": {"content": "NG"}}]}},
        {"event": None, "data": "[DONE]"},
    ]
    found = step(
        exchange("http://h/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}]}, 200, events, True)
    )
    assert found.received == "answered: PONG"


def test_error_and_no_response() -> None:
    refused = step(exchange("http://h/v1/responses", {"input": "hi"}, 404, {"error": {"message": "no such model"}}))
    assert (refused.sent, refused.received) == ("user: hi", "error: no such model")
    failed = step(exchange("http://h/v1/responses", {"input": "hi"}, None, None))
    assert (failed.status, failed.received) == (None, "")


def test_long_text_is_clipped_to_one_line() -> None:
    found = step(exchange("http://h/v1/responses", {"input": "line one\nline two " + "x" * 300}, 500, "oops"))
    assert "\n" not in found.sent and len(found.sent) <= 150 and found.sent.endswith("…")
    assert found.received == "error: oops"
