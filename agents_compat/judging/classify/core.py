"""Classifiers of the first six features: plain text, tools, handoffs, structured output, streaming, state."""

from __future__ import annotations

from typing import Any

from agents.exceptions import ModelBehaviorError
from pydantic import BaseModel

from ...outcomes import Observation
from ...running.backend import RunRecord
from .. import evidence
from .common import BROKEN, IGNORED, SUPPORTED, failure, looped, model_missed, short, wire_defect
from .textcalls import call_as_text


def plain_text(record: RunRecord, prompt: str, wanted: str) -> Observation:
    """``wanted``: what ``prompt`` asked for word for word; a backend that answers anything else did not run it."""
    if (failed := failure(record)) is not None:
        return failed
    sent = [t for e in record.exchanges for t in evidence.texts(e)]
    output = record.final_output
    if not isinstance(output, str) or not output.strip():
        return Observation(BROKEN, f"run finished with no text (final_output={output!r})")
    if not sent or output != sent[-1]:
        return Observation(BROKEN, f"final output {short(output, 60)!r} is not the text on the wire {sent[-1:]!r}")
    if prompt in output:
        # An echo of the prompt holds the wanted words too: only an answer that is not the request counts.
        return model_missed(f"the answer {short(output, 60)!r} repeats the request rather than answering it")
    if wanted.lower() not in output.lower():  # a small live model may change the case ("Pong-7481")
        return model_missed(f"the answer {short(output, 60)!r} is not the requested {wanted!r}")
    return Observation(SUPPORTED, f"final output is the backend's text: {short(output, 80)!r}")


# What the SDK sends back in place of a result when a function tool raises (agents' default error function).
TOOL_ERROR = "An error occurred while running the tool"


def kept_calling(record: RunRecord, tool: str, marker: str) -> Observation:
    """A looped run (``looped``) whose ``tool`` result, holding ``marker``, went back: did it reach the model?

    The answer cannot show it, so the backend's input token counts must (evidence.result_counted).
    """
    again = f"the model called {tool} again after its result instead of answering, until MaxTurnsExceeded"
    for index, carried in enumerate(record.exchanges):
        if index and evidence.mentions(carried.request_body, marker):
            break
    else:
        return Observation(BROKEN, f"{tool} was called but its result never went back to the backend ({again})")
    before = next(
        (e for e in reversed(record.exchanges[:index]) if any(c.name == tool for c in evidence.tool_calls(e))), None
    )
    if before is None:
        return model_missed(f"{again}; no earlier turn called {tool}")
    counted, how = evidence.result_counted(before, carried, evidence.text_with(carried.request_body, marker) or marker)
    if counted is None:
        return model_missed(f"{again}; whether its result reached the model cannot be told: {how}")
    if counted:
        return Observation(SUPPORTED, f"{tool} ran; the backend counted its result into the prompt ({how}); {again}")
    return Observation(IGNORED, f"{tool}'s result went back but the backend left it out of the prompt ({how}); {again}")


def function_tools(record: RunRecord, tool: str, marker: str) -> Observation:
    if (failed := failure(record)) is not None and not looped(record):
        return failed
    calls = [c for e in record.exchanges for c in evidence.tool_calls(e) if c.name == tool]
    if not calls:
        return call_as_text(record) or model_missed(f"{tool} was offered but the backend never returned a call to it")
    returned = [e for e in record.exchanges[1:] if evidence.mentions(e.request_body, marker)]
    if not returned:
        if any(evidence.mentions(e.request_body, TOOL_ERROR) for e in record.exchanges[1:]):
            # The call came back with arguments the tool could not take (a small model's guess), and the
            # SDK sent its tool error instead of a result: the protocol worked, the model did not.
            return model_missed(
                f"{tool} was called with arguments it could not run on ({short(calls[0].arguments, 80)})"
            )
        return Observation(BROKEN, f"{tool} was called but its result never went back to the backend")
    if looped(record):
        return kept_calling(record, tool, marker)
    if marker not in str(record.final_output):
        return model_missed(
            f"the tool result went back but the final answer does not use it: {short(record.final_output, 80)!r}"
        )
    if (seen := str(record.final_output).count(marker)) > 1:
        return Observation(BROKEN, f"the {tool} result reached the model {seen} times (its answer repeats it)")
    return Observation(SUPPORTED, f"{tool}{calls[0].arguments} ran; its result went back and the answer uses it")


def instructions_followed(output: Any, marker: str, whose: str) -> Observation | None:
    """None if ``marker`` (which only ``whose`` instructions ask for) is in the answer once; else what went wrong.

    Judged on the answer, not the request: a gateway that drops, moves or repeats the system prompt on
    its way to the model sends the same request from the SDK, but the model answers differently.
    """
    seen = str(output or "").count(marker)
    if seen == 0:
        return model_missed(f"the answer does not follow {whose} instructions (no {marker!r}): {short(output, 60)!r}")
    if seen > 1:
        return Observation(BROKEN, f"{whose} instructions reached the model {seen} times ({marker!r} repeated)")
    return None


def handoffs(record: RunRecord, specialist: str, specialist_instructions: str, marker: str) -> Observation:
    if (failed := failure(record)) is not None:
        return failed
    transfers = [c.name for e in record.exchanges for c in evidence.tool_calls(e) if c.name.startswith("transfer_to_")]
    if not transfers:
        return call_as_text(record) or model_missed("the handoff tool was offered but the backend never called it")
    last_agent = getattr(record.result, "last_agent", None)
    if getattr(last_agent, "name", None) != specialist:
        return Observation(BROKEN, f"{transfers[0]} was called but last_agent is {getattr(last_agent, 'name', None)!r}")
    final_request = record.exchanges[-1].request_body
    if not evidence.mentions(final_request, specialist_instructions):
        return Observation(BROKEN, "the final request did not carry the specialist's instructions")
    if not str(record.final_output or "").strip():
        return Observation(BROKEN, "the specialist produced no answer")
    if (missed := instructions_followed(record.final_output, marker, "the specialist's")) is not None:
        return missed
    return Observation(
        SUPPORTED, f"{transfers[0]} -> {specialist} answered under its instructions: {short(record.final_output, 60)!r}"
    )


def structured_output(record: RunRecord, output_type: type[BaseModel]) -> Observation:
    schema_sent = any(evidence.request_schema(e) for e in record.exchanges)
    if isinstance(record.error, ModelBehaviorError) and schema_sent and wire_defect(record) is None:
        text = next((t for e in reversed(record.exchanges) for t in evidence.texts(e)), "")
        return Observation(
            IGNORED,
            f"the request carried the JSON schema but the reply did not follow it: "
            f"{short(text, 60)!r} ({short(record.error.message, 60)})",
        )
    if (failed := failure(record)) is not None:
        return failed
    if not schema_sent:
        return Observation(BROKEN, "no request carried the output schema")
    if not isinstance(record.final_output, output_type):
        return Observation(BROKEN, f"final output is {type(record.final_output).__name__}, not {output_type.__name__}")
    return Observation(SUPPORTED, f"schema sent; reply validated as {short(repr(record.final_output), 80)}")


def _text_deltas(record: RunRecord) -> list[str]:
    deltas = []
    for event in record.stream_events:
        data: Any = getattr(event, "data", None)  # read by attribute: SDK events and tests' stand-ins
        if (
            getattr(event, "type", None) == "raw_response_event"
            and getattr(data, "type", None) == "response.output_text.delta"
        ):
            deltas.append(data.delta)
    return deltas


def streaming(text_run: RunRecord) -> Observation:
    """Text deltas alone: a streamed tool call is its own feature (streaming_tool_calls)."""
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
            f"{len(deltas)} deltas join to {short(''.join(deltas), 50)!r}, "
            f"final output is {short(text_run.final_output, 50)!r}",
        )
    tokens = evidence.token_count(str(text_run.final_output))
    if len([d for d in deltas if d]) < 2 and tokens > 1:
        # One delta holding a many-token answer is a buffered reply in SSE clothing: nothing streamed.
        return Observation(IGNORED, f"the whole text ({tokens} tokens) arrived in one delta: buffered, not streamed")
    return Observation(SUPPORTED, f"{len(deltas)} text deltas joined to the final output")
