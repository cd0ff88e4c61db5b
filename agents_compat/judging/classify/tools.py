"""Classifiers for tool features: streamed calls, agents as tools, tool_choice, parallel calls."""

from __future__ import annotations

from ...outcomes import Observation
from ...running.backend import RunRecord
from .. import evidence
from .common import BROKEN, IGNORED, SUPPORTED, failure, looped, model_missed, short
from .core import function_tools, instructions_followed, kept_calling
from .textcalls import call_as_text


def _stream_items(record: RunRecord, name: str) -> list[object]:
    return [
        e.item
        for e in record.stream_events
        if getattr(e, "type", None) == "run_item_stream_event" and getattr(e, "name", None) == name
    ]


def streaming_tool_calls(record: RunRecord, tool: str, marker: str) -> Observation:
    ran = function_tools(record, tool, marker)
    streamed = [e for e in record.exchanges if e.streamed and any(c.name == tool for c in evidence.tool_calls(e))]
    ran_in_sdk = bool(_stream_items(record, "tool_called") and _stream_items(record, "tool_output"))
    # How the call streamed is on the wire even when a small model then never answered (a model miss):
    # a buffered call is the backend's, whatever the model did after it.
    shown = ran.outcome is SUPPORTED or (ran.model_missed and streamed and ran_in_sdk)
    if not shown:
        return ran
    if not streamed:
        return Observation(BROKEN, "the tool call did not arrive over a stream")
    if not ran_in_sdk:
        return Observation(BROKEN, "the SDK emitted no tool_called / tool_output stream events")
    pieces = evidence.argument_pieces(streamed[0])
    arguments = next(c.arguments for c in evidence.tool_calls(streamed[0]) if c.name == tool)
    tokens = evidence.token_count(arguments)
    if ran.outcome is not SUPPORTED and pieces and pieces[0] >= 2:
        return ran  # streamed in pieces, but whether the result reached the model is still open
    if (not pieces or pieces[0] < 2) and tokens > 1:
        # Arguments sent whole after generation are a buffered call in SSE clothing: a UI showing them as
        # they are written sees nothing until the end. The SDK copes, so this is not broken.
        return Observation(
            IGNORED,
            f"the {tool} arguments ({tokens} tokens) arrived whole in one delta: buffered, not streamed "
            "(the SDK still assembled and ran the call)",
        )
    return Observation(
        SUPPORTED, f"the {tool} arguments arrived in {pieces[0]} pieces; the SDK assembled and ran the call"
    )


def agents_as_tools(record: RunRecord, tool: str, inner_instructions: str, marker: str) -> Observation:
    if (failed := failure(record)) is not None and not looped(record):
        return failed
    if not any(c.name == tool for e in record.exchanges for c in evidence.tool_calls(e)):
        return call_as_text(record) or model_missed(f"{tool} was offered but the backend never called it")
    inner = [e for e in record.exchanges if evidence.mentions(e.request_body, inner_instructions)]
    if not inner:
        return Observation(BROKEN, "no request carried the inner agent's instructions")
    inner_answer = next((t for t in evidence.texts(inner[-1]) if t), "")
    if not inner_answer:
        return model_missed("the inner agent produced no text")
    if (missed := instructions_followed(inner_answer, marker, "the inner agent's")) is not None:
        return missed
    if looped(record):
        return kept_calling(record, tool, inner_answer)
    if inner_answer not in str(record.final_output):
        return model_missed(f"the outer answer does not use the inner agent's {short(inner_answer, 50)!r}")
    return Observation(
        SUPPORTED,
        f"{tool} ran the inner agent under its instructions; its answer {short(inner_answer, 50)!r} came back",
    )


def tool_choice_required(record: RunRecord) -> Observation:
    if (failed := failure(record)) is not None and not looped(record):
        return failed
    first = record.exchanges[0] if record.exchanges else None
    if first is None or evidence.request_field(first, "tool_choice") != "required":
        return Observation(BROKEN, "the first request did not carry tool_choice='required'")
    calls = evidence.tool_calls(first)
    if not calls:
        # Not a weak model's miss even live: a backend that enforces "required" (a grammar) cannot answer
        # with text, whatever the model, so an answer without a call shows the setting was not honoured.
        return call_as_text(record) or Observation(
            IGNORED, "tool_choice='required' was sent but the backend answered without a tool call"
        )
    return Observation(
        SUPPORTED, f"tool_choice='required' forced a call to {calls[0].name} for a question naming no tool"
    )


def _named_choice(value: object) -> str | None:
    """The tool a named tool_choice asks for, in either wire form ({"type": "function", "name"} or chat's)."""
    if not isinstance(value, dict) or value.get("type") != "function":
        return None
    function = value.get("function")
    name = function.get("name") if isinstance(function, dict) else value.get("name")
    return name if isinstance(name, str) else None


def tool_choice_named(record: RunRecord, wanted: str, other: str) -> Observation:
    """tool_choice names ``wanted`` while the question asks for ``other``: only an enforced choice calls ``wanted``."""
    if (failed := failure(record)) is not None and not looped(record):
        return failed
    first = record.exchanges[0] if record.exchanges else None
    sent = evidence.request_field(first, "tool_choice") if first is not None else None
    if first is None or _named_choice(sent) != wanted:
        return Observation(BROKEN, f"the first request did not carry a named tool_choice for {wanted} (sent {sent!r})")
    called = [c.name for c in evidence.tool_calls(first)]
    if called[:1] == [wanted] and other not in called:
        return Observation(
            SUPPORTED, f"tool_choice named {wanted}: the backend called it although the question asked for {other}"
        )
    # As with "required": an enforced choice leaves a model no other tool, so this is not a weak model's miss.
    what = f"called {', '.join(called)}" if called else "answered without a tool call"
    return Observation(IGNORED, f"tool_choice named {wanted} but the backend {what}")


def parallel_tool_calls(record: RunRecord, tools: tuple[str, str], markers: tuple[str, str]) -> Observation:
    if (failed := failure(record)) is not None and not looped(record):
        return failed
    calls = [evidence.tool_calls(e) for e in record.exchanges]
    turns = [[c.name for c in turn] for turn in calls]
    together = [names for names in turns if set(tools) <= set(names)]
    ids = next(([c.id for c in turn] for turn in calls if set(tools) <= {c.name for c in turn}), [])
    if len(set(ids)) < len(ids):
        # Results go back by call id: with one id for both calls, the SDK's answers cannot be told apart.
        return Observation(BROKEN, f"the calls of one turn share an id ({ids}): their results cannot be told apart")
    if not together:
        called = [n for names in turns for n in names]
        if set(tools) <= set(called):
            return model_missed(f"both tools ran, but one per model turn: {turns}")
        missed = model_missed(f"asked for {tools[0]} and {tools[1]}, the backend called {called or 'nothing'}")
        return (None if called else call_as_text(record)) or missed
    returned = [e for e in record.exchanges if all(evidence.mentions(e.request_body, m) for m in markers)]
    first_together = next(i for i, names in enumerate(turns) if set(tools) <= set(names))
    if not returned and looped(record) and first_together == len(turns) - 1:
        # The SDK stopped the run (its turn cap) right after that turn: the results had no request to go back in.
        return model_missed(f"both tools were called only in the last turn the run allowed ({turns}): {record.error}")
    if not returned:
        return Observation(BROKEN, "both tools were called but their results never went back together")
    if not all(m in str(record.final_output) for m in markers):
        return model_missed(f"the answer does not use both results: {short(record.final_output, 80)!r}")
    return Observation(SUPPORTED, f"one turn called {together[0]}; both results went back and the answer uses both")
