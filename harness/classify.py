"""Classifiers: from one scenario's RunRecords (result or exception, captured wire) to an Observation.

A classifier never sees the profile's expectation. It judges from the wire first and from the SDK's
result second, and says why in one line. ``live`` only changes one thing: where the model (not the
backend) failed to cooperate, a live cell is inconclusive rather than ignored.
"""

from __future__ import annotations

import re
from typing import Any

import openai
from agents.exceptions import AgentsException, ModelBehaviorError
from pydantic import BaseModel

from . import evidence
from .backend import RunRecord
from .outcomes import Observation, Outcome

# A misconfigured model id is a setup error, not a missing feature (each backend words it its own way).
MODEL_MISSING = re.compile(
    r"unsupported model|invalid model name|model_not_found|model .{0,80}(not found|does not exist)", re.IGNORECASE
)
SUPPORTED, UNSUPPORTED, IGNORED = Outcome.SUPPORTED, Outcome.UNSUPPORTED, Outcome.IGNORED
BROKEN, ERROR, INCONCLUSIVE = Outcome.BROKEN, Outcome.ERROR, Outcome.INCONCLUSIVE


def _short(text: Any, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _api_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return _short(message)
    return _short(error.message)


def failure(record: RunRecord, step: str = "") -> Observation | None:
    """What a run that did not finish means, whatever the feature; None if it finished."""
    at = f"{step}: " if step else ""
    if record.timed_out:
        return Observation(ERROR, f"{at}no answer within the cell timeout ({record.seconds:.1f} s)")
    error = record.error
    if error is None:
        return None
    if isinstance(error, openai.APIStatusError):
        status, message = error.status_code, _api_message(error)
        if status in (401, 403):
            return Observation(ERROR, f"{at}credentials rejected: {status} {message}")
        if status == 429:
            return Observation(ERROR, f"{at}rate limited: 429 {message}")
        if MODEL_MISSING.search(message):
            return Observation(ERROR, f"{at}model not available: {status} {message}")
        if 400 <= status < 500 and message:
            return Observation(UNSUPPORTED, f"{at}refused: {status} {message}")
        return Observation(BROKEN, f"{at}{status} {message or 'without a message'}")
    if isinstance(error, openai.APITimeoutError):
        return Observation(ERROR, f"{at}timed out: {_short(error)}")
    if isinstance(error, openai.APIConnectionError):
        return Observation(ERROR, f"{at}connection failed: {_short(error.__cause__ or error)}")
    if isinstance(error, ModelBehaviorError):
        return Observation(BROKEN, f"{at}SDK could not use the reply: ModelBehaviorError: {_short(error.message)}")
    kind = "SDK error" if isinstance(error, AgentsException) else "SDK crashed"
    return Observation(BROKEN, f"{at}{kind}: {type(error).__name__}: {_short(error)}")


def _model_missed(live: bool, reason: str) -> Observation:
    return Observation(INCONCLUSIVE if live else IGNORED, reason)


def plain_text(record: RunRecord) -> Observation:
    if (failed := failure(record)) is not None:
        return failed
    sent = [t for e in record.exchanges for t in evidence.texts(e)]
    output = record.final_output
    if not isinstance(output, str) or not output.strip():
        return Observation(BROKEN, f"run finished with no text (final_output={output!r})")
    if not sent or output != sent[-1]:
        return Observation(BROKEN, f"final output {_short(output, 60)!r} is not the text on the wire {sent[-1:]!r}")
    return Observation(SUPPORTED, f"final output is the backend's text: {_short(output, 80)!r}")


def function_tools(record: RunRecord, tool: str, marker: str, live: bool) -> Observation:
    if (failed := failure(record)) is not None:
        return failed
    calls = [c for e in record.exchanges for c in evidence.tool_calls(e) if c.name == tool]
    if not calls:
        return _model_missed(live, f"{tool} was offered but the backend never returned a call to it")
    returned = [e for e in record.exchanges[1:] if evidence.mentions(e.request_body, marker)]
    if not returned:
        return Observation(BROKEN, f"{tool} was called but its result never went back to the backend")
    if marker not in str(record.final_output):
        return _model_missed(
            live, f"the tool result went back but the final answer does not use it: {_short(record.final_output, 80)!r}"
        )
    return Observation(SUPPORTED, f"{tool}{calls[0].arguments} ran; its result went back and the answer uses it")


def handoffs(record: RunRecord, specialist: str, specialist_instructions: str, live: bool) -> Observation:
    if (failed := failure(record)) is not None:
        return failed
    transfers = [c.name for e in record.exchanges for c in evidence.tool_calls(e) if c.name.startswith("transfer_to_")]
    if not transfers:
        return _model_missed(live, "the handoff tool was offered but the backend never called it")
    last_agent = getattr(record.result, "last_agent", None)
    if getattr(last_agent, "name", None) != specialist:
        return Observation(BROKEN, f"{transfers[0]} was called but last_agent is {getattr(last_agent, 'name', None)!r}")
    final_request = record.exchanges[-1].request_body
    if not evidence.mentions(final_request, specialist_instructions):
        return Observation(BROKEN, "the final request did not carry the specialist's instructions")
    if not str(record.final_output or "").strip():
        return Observation(BROKEN, "the specialist produced no answer")
    return Observation(SUPPORTED, f"{transfers[0]} -> {specialist} answered {_short(record.final_output, 60)!r}")


def structured_output(record: RunRecord, output_type: type[BaseModel]) -> Observation:
    schema_sent = any(evidence.request_schema(e) for e in record.exchanges)
    if isinstance(record.error, ModelBehaviorError) and schema_sent:
        text = next((t for e in reversed(record.exchanges) for t in evidence.texts(e)), "")
        return Observation(
            IGNORED,
            f"the request carried the JSON schema but the reply did not follow it: "
            f"{_short(text, 60)!r} ({_short(record.error.message, 60)})",
        )
    if (failed := failure(record)) is not None:
        return failed
    if not schema_sent:
        return Observation(BROKEN, "no request carried the output schema")
    if not isinstance(record.final_output, output_type):
        return Observation(BROKEN, f"final output is {type(record.final_output).__name__}, not {output_type.__name__}")
    return Observation(SUPPORTED, f"schema sent; reply validated as {_short(repr(record.final_output), 80)}")


def _text_deltas(record: RunRecord) -> list[str]:
    deltas = []
    for event in record.stream_events:
        data = getattr(event, "data", None)
        if (
            getattr(event, "type", None) == "raw_response_event"
            and getattr(data, "type", None) == "response.output_text.delta"
        ):
            deltas.append(data.delta)
    return deltas


def streaming(text_run: RunRecord, tool_run: RunRecord, tool: str, marker: str, live: bool) -> Observation:
    if (failed := failure(text_run, "text stream")) is not None:
        return failed
    if not any(e.streamed for e in text_run.exchanges):
        return Observation(BROKEN, "the backend answered stream=true with a non-streamed body")
    deltas = _text_deltas(text_run)
    if not deltas:
        return Observation(BROKEN, "the stream produced no text deltas")
    if "".join(deltas) != text_run.final_output:
        return Observation(
            BROKEN,
            f"{len(deltas)} deltas join to {_short(''.join(deltas), 50)!r}, "
            f"final output is {_short(text_run.final_output, 50)!r}",
        )
    tools = function_tools(tool_run, tool, marker, live)
    if tools.outcome is not SUPPORTED:
        return Observation(tools.outcome, f"streamed tool call: {tools.reason}")
    return Observation(
        SUPPORTED, f"{len(deltas)} text deltas joined to the final output; streamed {tool} call completed"
    )


def previous_response_id(turn1: RunRecord, turn2: RunRecord, code_word: str) -> Observation:
    if (failed := failure(turn1, "turn 1")) is not None:
        return failed
    dropped = [w for w in turn2.warnings if "previous_response_id" in w]
    if (failed := failure(turn2, "turn 2")) is not None:
        return failed
    if not turn2.exchanges:
        return Observation(BROKEN, "turn 2 finished without any HTTP request")
    request = turn2.exchanges[0].request_body
    if evidence.mentions(request, code_word):
        return Observation(BROKEN, "turn 2's request repeated turn 1 locally; the scenario is not testing the server")
    if not evidence.request_field(turn2.exchanges[0], "previous_response_id"):
        why = f" (SDK warning: {_short(dropped[0], 90)})" if dropped else ""
        return Observation(IGNORED, f"previous_response_id never reached the backend{why}")
    answer = str(turn2.final_output or "")
    if code_word in answer:
        return Observation(SUPPORTED, f"the backend resolved previous_response_id: turn 2 answered {code_word!r}")
    used1 = evidence.usage(turn1.exchanges[-1]) if turn1.exchanges else None
    used2 = evidence.usage(turn2.exchanges[0])
    if used1 and used2 and used2.input_tokens >= used1.input_tokens + used1.output_tokens:
        return Observation(
            SUPPORTED,
            f"turn 2 input tokens ({used2.input_tokens}) include turn 1 ({used1.input_tokens}+{used1.output_tokens})",
        )
    tokens = f"; input tokens {used2.input_tokens} vs turn 1's {used1.input_tokens}" if used1 and used2 else ""
    return Observation(
        IGNORED, f"previous_response_id was accepted but turn 1 was not used: answer {_short(answer, 50)!r}{tokens}"
    )
