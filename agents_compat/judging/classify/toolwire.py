"""Classifiers for what breaks between the SDK's tool calls and a backend: a schema next to tools, a strict tool
schema, and the shape of streamed tool calls."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from agents.exceptions import ModelBehaviorError
from pydantic import BaseModel

from ...outcomes import Observation
from ...running.backend import RunRecord
from ...wire.capture import Exchange
from .. import evidence
from .common import BROKEN, IGNORED, SUPPORTED, failure, looped, model_missed, short, wire_defect
from .core import kept_calling
from .textcalls import call_as_text


def _calls(record: RunRecord, tool: str) -> list[evidence.WireCall]:
    return [c for e in record.exchanges for c in evidence.tool_calls(e) if c.name == tool]


def _offered(exchange: Exchange, tool: str) -> dict[str, Any] | None:
    """The definition of ``tool`` a request offered, flattened to {name, parameters, strict} for either API."""
    body = exchange.request_body if isinstance(exchange.request_body, dict) else {}
    for entry in body.get("tools") or []:
        if not isinstance(entry, dict):
            continue
        nested = entry.get("function")
        function: dict[str, Any] = nested if isinstance(nested, dict) else entry
        if function.get("name") == tool:
            return function
    return None


# --- structured_output_with_tools ----------------------------------------------------------------------------


def structured_output_with_tools(
    record: RunRecord, tool: str, marker: str, output_type: type[BaseModel]
) -> Observation:
    """An agent with ``tool`` and ``output_type``: the tool ran and the final object carries ``marker`` from it."""
    calls = _calls(record, tool)
    if isinstance(record.error, ModelBehaviorError) and wire_defect(record) is None:
        text = next((t for e in reversed(record.exchanges) for t in evidence.texts(e)), "")
        if calls:
            return Observation(
                IGNORED,
                f"{tool} ran, but the answer after its result did not follow the output schema: {short(text, 60)!r} "
                f"({short(record.error.message, 60)})",
            )
        if (as_text := call_as_text(record)) is not None:  # a call the server left as text, which the SDK then parsed
            return as_text
        if text.lstrip().startswith("{"):  # JSON where a call belonged: the control run (schema_stopped_call) decides
            return model_missed(f"the backend answered with JSON and no {tool} call, which the SDK could not use: "
                                f"{short(text, 60)!r} ({short(record.error.message, 50)})")  # fmt: skip
    if (failed := failure(record)) is not None and not looped(record):
        return failed
    first = record.exchanges[0] if record.exchanges else None
    if first is None or not evidence.request_schema(first) or _offered(first, tool) is None:
        return Observation(BROKEN, f"the first request did not carry both {tool} and the output schema")
    if not calls:
        output = record.final_output
        if isinstance(output, output_type):
            # The pair's known failure (a schema enforced from the first token, or tools dropped next to it) and a
            # model that answered without its tool look alike here: the control run (schema_stopped_call) decides.
            return model_missed(
                f"the backend answered with a schema-valid object and no {tool} call: {short(repr(output), 70)}"
            )
        return call_as_text(record) or model_missed(f"{tool} was offered next to the output schema but never called")
    if not any(evidence.mentions(e.request_body, marker) for e in record.exchanges[1:]):
        return Observation(BROKEN, f"{tool} was called but its result never went back to the backend")
    if looped(record):
        kept = kept_calling(record, tool, marker)
        if kept.outcome is SUPPORTED:  # the result reached the model, but no object was ever written
            return model_missed(f"{kept.reason}; so no final object to check against the schema")
        return kept
    output = record.final_output
    if not isinstance(output, output_type):
        return Observation(BROKEN, f"final output is {type(output).__name__}, not {output_type.__name__}")
    if marker not in repr(output):
        return model_missed(f"the object validates but does not carry {tool}'s {marker!r}: {short(repr(output), 70)}")
    return Observation(
        SUPPORTED,
        f"the first request carried {tool} and the schema; {tool}{calls[0].arguments} ran, its result went back, "
        f"and the final object validates with {marker!r} from it",
    )


def schema_stopped_call(missed: Observation, control: RunRecord | None, tool: str) -> Observation:
    """``missed``: no call with the schema next to the tools; ``control``: the same question with the tools alone.

    A backend that calls ``tool`` without the schema but not with it lost the pair, not the model."""
    if not missed.model_missed or control is None:
        return missed
    first = control.exchanges[0] if control.exchanges else None
    if first is not None and any(c.name == tool for c in evidence.tool_calls(first)):
        return Observation(
            IGNORED,
            f"with the tools alone the backend called {tool}; with the output schema next to them it did not "
            f"(the schema enforced before the call, or the tools dropped): {missed.reason}",
        )
    # The model wrote the call with the tools alone, but the server left it as text: the pair cannot work where the
    # tool alone does not, whatever the schema did.
    as_text = call_as_text(control)
    if as_text is not None:
        return Observation(IGNORED, f"{as_text.reason} (with the tools alone); with the output schema: {missed.reason}")
    return missed


# --- strict_tool_schema --------------------------------------------------------------------------------------

_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def _violations(arguments: str, schema: dict[str, Any]) -> list[str]:
    """How ``arguments`` (the wire's JSON text) break a flat object schema: extra keys, missing ones, wrong types."""
    try:
        value = json.loads(arguments)
    except ValueError:
        return [f"arguments that are not JSON ({short(arguments, 40)!r})"]
    if not isinstance(value, dict):
        return [f"arguments that are not a JSON object ({type(value).__name__})"]
    declared = schema.get("properties")
    properties: dict[str, Any] = declared if isinstance(declared, dict) else {}
    found = []
    if schema.get("additionalProperties") is False:
        found += [f"the extra argument {k!r}" for k in value if k not in properties]
    found += [f"no {k!r}" for k in schema.get("required") or [] if k not in value]
    for key, sub in properties.items():
        kind = sub.get("type") if isinstance(sub, dict) else None
        wanted = _TYPES.get(kind) if isinstance(kind, str) else None
        given = value.get(key)
        if (
            key in value
            and wanted
            and (not isinstance(given, wanted) or (isinstance(given, bool) and kind != "boolean"))
        ):
            found.append(f"{key!r} as {type(given).__name__}, not {kind}")
    return found


def _first_call(record: RunRecord, tool: str) -> evidence.WireCall | None:
    return next(iter(_calls(record, tool)), None)


def strict_call_kept_schema(strict: RunRecord, tool: str) -> bool:
    """The strict run's call followed the schema: only then does the control run have something to show."""
    call = _first_call(strict, tool)
    first = strict.exchanges[0] if strict.exchanges else None
    offered = _offered(first, tool) if first is not None else None
    schema = offered.get("parameters") if offered is not None else None
    return call is not None and isinstance(schema, dict) and not _violations(call.arguments, schema)


def strict_tool_schema(strict: RunRecord, control: RunRecord | None, tool: str, asked: str) -> Observation:
    """``strict``: ``tool`` offered strict, the prompt asking for the argument ``asked``, which its schema lacks;
    ``control``: the same tool and prompt with a schema that lets extra keys in, not strict.

    Only a strict call that leaves ``asked`` out, where the control's call kept it, shows enforcement: a model that
    never adds it would pass a backend that enforces nothing."""
    if (failed := failure(strict)) is not None and not looped(strict):
        return failed
    first = strict.exchanges[0] if strict.exchanges else None
    offered = _offered(first, tool) if first is not None else None
    schema = offered.get("parameters") if offered is not None else None
    if offered is None or offered.get("strict") is not True or not isinstance(schema, dict):
        return Observation(BROKEN, f"the first request did not offer {tool} with strict: true")
    if schema.get("additionalProperties") is not False:
        return Observation(BROKEN, f"the strict {tool} schema the SDK sent lets extra keys in")
    call = _first_call(strict, tool)
    if call is None:
        return call_as_text(strict) or model_missed(f"the strict {tool} was offered but never called")
    if problems := _violations(call.arguments, schema):
        return Observation(
            IGNORED,
            f"strict: true was accepted but not enforced: the {tool} call carried {short(call.arguments, 70)} "
            f"({'; '.join(problems)})",
        )
    if control is None or ((failed := failure(control)) is not None and not looped(control)):
        why = f": {failed.reason}" if control is not None and failed is not None else ""
        return model_missed(f"the strict {tool} call {call.arguments} followed the schema; the control run failed{why}")
    loose = _first_call(control, tool)
    try:
        loose_args = json.loads(loose.arguments) if loose is not None else None
    except ValueError:
        loose_args = None
    if not isinstance(loose_args, dict) or asked not in loose_args:
        shown = loose.arguments if loose is not None else "no call"
        return model_missed(
            f"the strict {tool} call {call.arguments} followed the schema, but the model left {asked!r} out "
            f"without strict too ({shown}): enforcement cannot be told from a model that never adds it"
        )
    return Observation(
        SUPPORTED,
        f"enforced: asked for {asked!r}, the strict {tool} call carried {short(call.arguments, 60)}, while the "
        f"non-strict control's carried {short(loose.arguments if loose else '', 60)}",
    )


# --- streamed_tool_call_shape --------------------------------------------------------------------------------


def _chunks(exchange: Exchange) -> list[dict[str, Any]]:
    return [e["data"] for e in exchange.events if isinstance(e.get("data"), dict)]


def _chat_shape(exchange: Exchange, problems: list[str]) -> list[str]:
    """The call ids of a chat stream, each problem of its tool-call deltas added to ``problems``."""
    ids_by_index: dict[Any, list[str]] = {}
    order: list[Any] = []
    for data in _chunks(exchange):
        for choice in data.get("choices") or []:
            for delta in (choice.get("delta") or {}).get("tool_calls") or []:
                if not isinstance(delta, dict):
                    continue
                index = delta.get("index")
                if not isinstance(index, int) or isinstance(index, bool):
                    problems.append("a tool-call delta without an integer index")
                    index = ("missing", len(order)) if delta.get("id") or "function" in delta else ("missing", None)
                arguments = (delta.get("function") or {}).get("arguments")
                if arguments is not None and not isinstance(arguments, str):
                    problems.append(f"arguments as a JSON {type(arguments).__name__}, not a string")
                if "id" in delta:
                    given = delta.get("id")
                    ids_by_index.setdefault(index, []).append(given if isinstance(given, str) else "")
                if index not in order:
                    order.append(index)
    ids = []
    for index in order:
        seen = [i for i in ids_by_index.get(index, []) if i]
        if not seen:
            problems.append("a tool call with no id (or an empty one)")
            ids.append("")
            continue
        distinct = list(dict.fromkeys(seen))
        if len(distinct) > 1:
            problems.append(f"calls {distinct} share index {index}")
        ids.extend(distinct)
    return ids


def _responses_shape(exchange: Exchange, problems: list[str]) -> list[str]:
    """The call_ids of a Responses stream, each problem of its function-call events added to ``problems``."""
    items: dict[str, str] = {}  # item id -> call_id
    ids = []
    for data in _chunks(exchange):
        kind = data.get("type")
        found = data.get("item")
        item: dict[str, Any] = found if isinstance(found, dict) else {}
        if kind == "response.output_item.added" and item.get("type") == "function_call":
            call_id = item.get("call_id")
            ids.append(call_id if isinstance(call_id, str) else "")
            if not isinstance(call_id, str) or not call_id:
                problems.append("a function_call item with no call_id")
            if isinstance(item.get("id"), str):
                items[item["id"]] = str(call_id)
        elif kind == "response.function_call_arguments.delta":
            if not isinstance(data.get("delta"), str):
                problems.append(f"an arguments delta as a JSON {type(data.get('delta')).__name__}, not a string")
            located = isinstance(data.get("output_index"), int) or data.get("item_id") in items.keys() | set(ids)
            if not located:
                problems.append("an arguments delta with neither an output_index nor the item_id of its call")
    return ids


def streamed_tool_call_shape(record: RunRecord) -> Observation:
    """Each streamed call: an index (Responses: output_index or item_id), a non-empty id unique in the run, and
    arguments as a string. Read from the wire before the SDK's verdict: a misshapen stream is what makes it fail."""
    problems: list[str] = []
    ids: list[str] = []
    streamed = [e for e in record.exchanges if e.streamed and e.status is not None and 200 <= e.status < 300]
    for exchange in streamed:
        shape = _responses_shape if exchange.path.endswith("/responses") else _chat_shape
        ids += shape(exchange, problems)
    repeated = sorted(i for i, n in Counter(i for i in ids if i).items() if n > 1)
    if repeated:
        problems.append(f"calls share the id {', '.join(repeated)}")
    if problems:
        named = "; ".join(dict.fromkeys(problems))
        tail = f" (the SDK then failed: {short(record.error, 80)})" if record.error is not None else ""
        return Observation(BROKEN, f"streamed tool calls of the wrong shape: {named}{tail}")
    if (failed := failure(record)) is not None and not looped(record):
        return failed
    if not streamed:
        return Observation(BROKEN, "the backend answered stream=true with a non-streamed body")
    if len(ids) < 2:
        missed = model_missed(f"{len(ids)} streamed tool call(s): ids unique across calls cannot be shown")
        return (None if ids else call_as_text(record)) or missed
    return Observation(
        SUPPORTED,
        f"{len(ids)} streamed tool calls, each with its index, a unique id ({', '.join(ids)}) and string arguments",
    )
