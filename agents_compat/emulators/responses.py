"""The Responses wire format: request -> brain Turn, Decision -> response object or event stream.

``ResponsesQuirks`` carries what differs between backends (event set, what is honoured, state).
``ResponseStore`` is the server-side memory that makes previous_response_id resolvable.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from . import brain
from .base import SSE_DONE, ApiError, HttpReply, check_type, sse_data
from .chat import llamacpp_timings, split_arguments, split_text, text_of


@dataclass(frozen=True)
class ResponsesQuirks:
    text_format: Literal["enforced", "ignored"] = "enforced"
    tool_choice: Literal["all", "strings", "ignored"] = "all"
    parallel_tool_calls_false: bool = True
    previous_response_id: Literal["resolve", "ignore", "reject"] = "resolve"
    # stream shape
    in_progress_event: bool = True
    content_part_events: bool = True  # content_part.added/.done and output_text.done
    function_args_done_event: bool = True
    function_args_done_name: bool = True  # the tool's name on function_call_arguments.done
    completed_has_output: bool = True
    sequence_numbers: bool = True
    output_index: bool = True  # output_index on item and delta events
    delta_locators: bool = True  # item_id/output_index/content_index on output_text.delta
    argument_piece: int | None = None  # re-cut argument deltas to this size; 0 sends the arguments whole
    completed_chat_usage: bool = False  # response.completed usage in chat names (prompt_tokens, ...)
    call_items_without_id: bool = False  # function_call items carry only call_id ("fc_...")
    start_envelope: tuple[str, ...] | None = None  # keys of the response in created/in_progress (None: all)
    end_envelope: tuple[str, ...] | None = None  # keys of the response in completed (None: all)
    done_sentinel: bool = False  # a trailing "data: [DONE]" (not sent by OpenAI)
    event_lines: bool = True  # "event: <type>" lines before each data line
    # the non-streamed response object: exactly these keys (None: OpenAI's), plus these extra ones
    response_fields: tuple[str, ...] | None = None
    response_extras: tuple[tuple[str, Any], ...] = ()
    # usage: the input_tokens_details keys (None: no such object), and whether output_tokens_details is sent
    input_details: tuple[str, ...] | None = ("cached_tokens", "cache_write_tokens")
    output_details: bool = True
    # text events (content_part.*, output_text.*): only these locator fields (None: OpenAI's full set)
    text_event_fields: tuple[str, ...] | None = None
    added_part_fields: tuple[str, ...] | None = None  # the part in content_part.added (None: all)
    part_fields: tuple[str, ...] | None = None  # the part in content_part.added and .done (None: all)
    event_model: bool = False  # the response's model on every event (LiteLLM's streaming iterator)
    completed_timings: bool = False  # llama.cpp: a "timings" object next to the response in response.completed
    echoed_tool_choice: str | None = None  # what the response says its tool_choice was (None: the request's)
    # The model's <think> reasoning: a reasoning item carrying it as summary_text or reasoning_text parts,
    # left in the message text as tags (no parser), or dropped on the way (a translation that keeps no item).
    reasoning: Literal["summary", "content", "tags", "dropped"] = "tags"
    # a reasoning item's encrypted_content: none, always "" (llama.cpp), the plain reasoning text (Ollama), or an
    # opaque blob only when include asks for "reasoning.encrypted_content" (OpenAI)
    encrypted_content: Literal["absent", "null", "empty", "plain", "opaque"] = "absent"
    reasoning_part_type: str | None = None  # the type of the item's text parts, where a server writes its own
    tool_arguments: Literal["strict", "always", "never"] = "strict"  # as ChatQuirks.tool_arguments
    schema_with_tools: Literal["after_calls", "forced"] = "after_calls"  # as ChatQuirks.schema_with_tools


@dataclass
class StoredResponse:
    response: dict[str, Any]
    context_items: list[dict[str, Any]]  # everything the model saw (minus instructions), then its output
    input_items: list[dict[str, Any]] = field(default_factory=list)  # this request's own input


class ResponseStore:
    def __init__(self) -> None:
        self._items: dict[str, StoredResponse] = {}

    def put(self, stored: StoredResponse) -> None:
        self._items[stored.response["id"]] = stored

    def get(self, response_id: str) -> StoredResponse | None:
        return self._items.get(response_id)

    def delete(self, response_id: str) -> bool:
        return self._items.pop(response_id, None) is not None

    def holds_item(self, item_id: str) -> bool:
        """An output item of a kept response (a reasoning item sent back by id alone resolves from it)."""
        return any(item.get("id") == item_id for kept in self._items.values() for item in kept.response["output"])


class ConversationStore:
    """Server-side conversations: an id and the items appended to it by each response."""

    def __init__(self, next_id: Any) -> None:
        self.next_id = next_id
        self._items: dict[str, list[dict[str, Any]]] = {}
        self._created: dict[str, int] = {}

    def create(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        conversation_id = self.next_id("conv_")
        self._items[conversation_id] = list(items)
        self._created[conversation_id] = int(time.time())
        return self.describe(conversation_id)

    def describe(self, conversation_id: str) -> dict[str, Any]:
        return {
            "id": conversation_id,
            "object": "conversation",
            "created_at": self._created[conversation_id],
            "metadata": {},
        }

    def items(self, conversation_id: str) -> list[dict[str, Any]] | None:
        return self._items.get(conversation_id)

    def append(self, conversation_id: str, items: list[dict[str, Any]]) -> None:
        self._items[conversation_id].extend(items)


def conversation_id_of(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def as_input(output: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A response's output items, as input items for a later turn."""
    return [item for item in output if item.get("type") in ("message", "function_call")]


@dataclass
class ParsedRequest:
    body: dict[str, Any]
    turn: brain.Turn  # what the model sees: instructions, resolved history, this input
    history_items: list[dict[str, Any]]  # from previous_response_id or the conversation
    input_items: list[dict[str, Any]]  # this request's own input


def _content_text(content: Any) -> str:
    return text_of(content, param="input")


def parse_input(value: Any) -> tuple[list[brain.Message], list[dict[str, Any]]]:
    if isinstance(value, str):
        item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": value}]}
        return [brain.Message("user", value)], [normalize_item(item)]
    if not isinstance(value, list):
        raise ApiError(400, "'input' must be a string or an array of input items", param="input")
    messages: list[brain.Message] = []
    for item in value:
        if not isinstance(item, dict):
            raise ApiError(400, "each input item must be an object", param="input")
        kind = item.get("type", "message" if "role" in item else None)
        if kind == "message":
            role = check_type(item.get("role"), (str,), "input.role") or ""
            role = {"developer": "system"}.get(role, role)
            if role not in ("system", "user", "assistant"):
                raise ApiError(400, f"unknown message role {item.get('role')!r}", param="input")
            messages.append(brain.Message(role, _content_text(item.get("content"))))
        elif kind == "function_call":
            fields = [check_type(item.get(k), (str,), f"input.{k}") or "" for k in ("call_id", "name", "arguments")]
            call = brain.ToolCall(*fields)
            if messages and messages[-1].role == "assistant" and not messages[-1].text:
                messages[-1].tool_calls.append(call)
            else:
                messages.append(brain.Message("assistant", "", [call]))
        elif kind == "function_call_output":
            output = item.get("output")
            messages.append(
                brain.Message(
                    "tool",
                    output if isinstance(output, str) else _content_text(output),
                    tool_call_id=check_type(item.get("call_id"), (str,), "input.call_id"),
                )
            )
        elif kind == "compaction":  # our own opaque encoding of the compacted items
            try:
                expanded = json.loads(
                    base64.b64decode(check_type(item.get("encrypted_content"), (str,), "input") or "")
                )
            except ValueError:
                raise ApiError(400, "invalid compaction item", param="input") from None
            messages.extend(parse_input(expanded)[0])
        elif kind in ("reasoning", "item_reference"):
            continue
        else:
            raise ApiError(400, f"unsupported input item type {kind!r}", param="input")
    return messages, [normalize_item(item) for item in value]


def normalize_item(item: dict[str, Any]) -> dict[str, Any]:
    """An input item as a server stores and lists it: typed, with content as a list of parts."""
    kind = item.get("type", "message" if "role" in item else None)
    if kind != "message":
        return {**item, "type": kind} if kind else item
    content = item.get("content")
    if isinstance(content, str):
        part = "output_text" if item.get("role") == "assistant" else "input_text"
        content = [{"type": part, "text": content}]
    # listed items carry an id and a status; a content hash keeps the id deterministic
    digest = hashlib.sha1(json.dumps(item, sort_keys=True).encode()).hexdigest()[:16]
    return {"id": f"msg_{digest}", "status": "completed", **item, "type": "message", "content": content}


def parse_tools(tools: Any, arguments: str = "strict") -> list[brain.ToolSpec]:
    specs = []
    for tool in tools or []:
        if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(tool.get("name"), str):
            raise ApiError(400, "only function tools with a name are supported", param="tools")
        parameters = check_type(tool.get("parameters"), (dict,), "tools.parameters") or {}
        description = check_type(tool.get("description"), (str,), "tools.description") or ""
        strict = check_type(tool.get("strict"), (bool,), "tools.strict") is True
        constrained = arguments == "always" or (arguments == "strict" and strict)
        specs.append(brain.ToolSpec(tool["name"], parameters, description, constrained))
    return specs


def schema_of_text_format(text: Any) -> dict[str, Any] | None:
    fmt = (text or {}).get("format") if isinstance(text, dict) else None
    if not isinstance(fmt, dict):
        return None
    if fmt.get("type") == "json_schema":
        return check_type(fmt.get("schema"), (dict,), "text.format.schema") or {"type": "object"}
    if fmt.get("type") == "json_object":
        return {"type": "object"}
    return None


def tool_choice_of(value: Any, honoured: str) -> str:
    if value is None or honoured == "ignored":
        return "auto"
    if isinstance(value, str):
        return value
    if honoured == "all" and isinstance(value, dict) and isinstance(value.get("name"), str) and value["name"]:
        return f"function:{value['name']}"
    return "auto"


ENCRYPTED_INCLUDE = "reasoning.encrypted_content"


def shaped_decision(decision: brain.Decision, quirks: ResponsesQuirks) -> brain.Decision:
    """The decision as the server passes it on: reasoning in tags in the text, dropped, or kept for an item."""
    if quirks.reasoning == "tags":
        return brain.with_think_tags(decision)
    if quirks.reasoning == "dropped":
        return replace(decision, reasoning=None)
    return decision


def reasoning_item(text: str, item_id: str, quirks: ResponsesQuirks, include: bool) -> dict[str, Any]:
    """A reasoning output item as the server writes it (see ``ResponsesQuirks.reasoning``)."""
    part = quirks.reasoning_part_type or ("summary_text" if quirks.reasoning == "summary" else "reasoning_text")
    item: dict[str, Any] = {"id": item_id, "type": "reasoning", "summary": []}
    if quirks.reasoning == "summary":
        item["summary"] = [{"type": part, "text": text}]
    else:
        item["content"] = [{"type": part, "text": text}]
    sealed = {
        "empty": "",
        "plain": text,
        "opaque": base64.b64encode(f"sealed:{text}".encode()).decode() if include else None,
    }.get(quirks.encrypted_content)
    if sealed is not None or quirks.encrypted_content == "null":
        item["encrypted_content"] = sealed
    return item


def unsealed(encrypted: str) -> str | None:
    """The reasoning an opaque encrypted_content this emulator issued holds; None for anything else."""
    try:
        text = base64.b64decode(encrypted, validate=True).decode()
    except ValueError:
        return None
    return text.removeprefix("sealed:") if text.startswith("sealed:") else None


def output_items(
    decision: brain.Decision,
    next_id: Any,
    quirks: ResponsesQuirks | None = None,
    include: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if decision.reasoning and quirks is not None and quirks.reasoning in ("summary", "content"):
        items.append(reasoning_item(decision.reasoning, next_id("rs_"), quirks, ENCRYPTED_INCLUDE in include))
    if decision.text is not None:
        items.append(
            {
                "id": next_id("msg_"),
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": decision.text, "annotations": [], "logprobs": []}],
            }
        )
    for call in decision.tool_calls:
        items.append(
            {
                "id": next_id("fc_"),
                "type": "function_call",
                "status": "completed",
                "call_id": call.id,
                "name": call.name,
                "arguments": call.arguments,
            }
        )
    return items


def usage_of(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }


def response_object(
    response_id: str,
    model: str,
    body: dict[str, Any],
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None,
    status: str = "completed",
) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True) is not False,
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "store": body.get("store", True) is not False,
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "usage": usage,
        "user": None,
        "metadata": body.get("metadata") or {},
    }


def shaped(response: dict[str, Any], quirks: ResponsesQuirks) -> dict[str, Any]:
    """The response object with a backend's own set of fields (recorded in fixtures/cassettes)."""
    shaped = {**response, **{k: v for k, v in quirks.response_extras}}
    if "completed_at" in shaped and shaped["completed_at"] is None:
        shaped["completed_at"] = shaped["created_at"]
    if quirks.response_fields is not None:
        shaped = {k: v for k, v in shaped.items() if k in quirks.response_fields}
    if isinstance(shaped.get("usage"), dict):
        shaped["usage"] = shaped_usage(shaped["usage"], quirks)
    return shaped


def shaped_usage(usage: dict[str, Any], quirks: ResponsesQuirks) -> dict[str, Any]:
    """A backend's own usage object: OpenAI's detail objects, fewer of them, or none."""
    usage = {k: v for k, v in usage.items() if k not in ("input_tokens_details", "output_tokens_details")}
    if quirks.input_details is not None:
        usage["input_tokens_details"] = {k: 0 for k in quirks.input_details}
    if quirks.output_details:
        usage["output_tokens_details"] = {"reasoning_tokens": 0}
    return usage


@dataclass
class StreamPlan:
    """What a stream carries: text deltas for the message, argument deltas per function call."""

    text_deltas: list[str] | None
    call_deltas: list[list[str]]


def plan_from_decision(decision: brain.Decision) -> StreamPlan:
    text = None if decision.text is None else split_text(decision.text) or [""]
    return StreamPlan(text, [split_arguments(c.arguments) for c in decision.tool_calls])


def response_events(final: dict[str, Any], plan: StreamPlan, quirks: ResponsesQuirks) -> list[bytes]:
    """The SSE stream for ``final`` (a completed response object), shaped by ``quirks``."""
    out: list[bytes] = []
    sequence = 0

    def emit(kind: str, payload: dict[str, Any]) -> None:
        nonlocal sequence
        event = {"type": kind, **payload}
        if not quirks.output_index:
            event.pop("output_index", None)
        if quirks.sequence_numbers:
            event["sequence_number"] = sequence
        if quirks.event_model:
            event["model"] = final["model"]
        sequence += 1
        out.append(sse_data(event, kind if quirks.event_lines else None))

    in_progress = {**final, "status": "in_progress", "output": [], "usage": None}
    if quirks.start_envelope is not None:
        in_progress = {k: v for k, v in in_progress.items() if k in quirks.start_envelope}
    emit("response.created", {"response": in_progress})
    if quirks.in_progress_event:
        emit("response.in_progress", {"response": in_progress})
    call_deltas = iter(plan.call_deltas)
    for index, item in enumerate(final["output"]):
        if item["type"] == "reasoning":
            emit("response.output_item.added", {"output_index": index, "item": item})
            emit("response.output_item.done", {"output_index": index, "item": item})
        elif item["type"] == "message":
            _message_events(emit, index, item, plan.text_deltas, quirks)
        elif item["type"] == "function_call":
            deltas = next(call_deltas, [item["arguments"]])
            if quirks.argument_piece is not None:
                joined = "".join(deltas)
                deltas = split_arguments(joined, quirks.argument_piece) if quirks.argument_piece else [joined]
            _call_events(emit, index, item, deltas, quirks)
    completed = final if quirks.completed_has_output else {**final, "output": []}
    if quirks.end_envelope is not None:
        completed = {k: v for k, v in completed.items() if k in quirks.end_envelope}
    if quirks.completed_chat_usage and final.get("usage"):
        usage = final["usage"]
        completed = {
            **completed,
            "usage": {
                "prompt_tokens": usage["input_tokens"],
                "completion_tokens": usage["output_tokens"],
                "total_tokens": usage["total_tokens"],
            },
        }
    timings = {"timings": llamacpp_timings(final.get("usage") or {})} if quirks.completed_timings else {}
    emit("response.completed", {"response": completed, **timings})
    if quirks.done_sentinel:
        out.append(SSE_DONE)
    return out


def _message_events(
    emit: Any, index: int, item: dict[str, Any], deltas: list[str] | None, quirks: ResponsesQuirks
) -> None:
    text = item["content"][0]["text"]
    where = {"item_id": item["id"], "output_index": index, "content_index": 0}
    part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    if quirks.part_fields is not None:
        part = {k: part[k] for k in quirks.part_fields}
    added_part = part if quirks.added_part_fields is None else {k: part[k] for k in quirks.added_part_fields}

    def located(payload: dict[str, Any]) -> dict[str, Any]:
        if quirks.text_event_fields is None:
            return payload
        return {k: v for k, v in payload.items() if k in (*quirks.text_event_fields, "delta", "text", "part")}

    emit(
        "response.output_item.added", {"output_index": index, "item": {**item, "status": "in_progress", "content": []}}
    )
    if quirks.content_part_events:
        emit("response.content_part.added", located({**where, "part": added_part}))
    for delta in deltas or [text]:
        emit(
            "response.output_text.delta",
            located({**where, "delta": delta, "logprobs": []}) if quirks.delta_locators else {"delta": delta},
        )
    if quirks.content_part_events:
        emit("response.output_text.done", located({**where, "text": text, "logprobs": []}))
        emit("response.content_part.done", located({**where, "part": {**part, "text": text}}))
    emit("response.output_item.done", {"output_index": index, "item": item})


def _call_events(emit: Any, index: int, item: dict[str, Any], deltas: list[str], quirks: ResponsesQuirks) -> None:
    item_id = item.get("id") or item["call_id"]
    emit(
        "response.output_item.added",
        {"output_index": index, "item": {**item, "status": "in_progress", "arguments": ""}},
    )
    for delta in deltas:
        emit("response.function_call_arguments.delta", {"item_id": item_id, "output_index": index, "delta": delta})
    if quirks.function_args_done_event:
        done = {"item_id": item_id, "output_index": index, "name": item["name"], "arguments": item["arguments"]}
        if not quirks.function_args_done_name:
            del done["name"]
        emit("response.function_call_arguments.done", done)
    emit("response.output_item.done", {"output_index": index, "item": item})


class Responses:
    """A Responses endpoint backed by the brain, with optional server-side state."""

    def __init__(self, quirks: ResponsesQuirks, next_id: Any, conversations: ConversationStore | None = None):
        self.quirks, self.next_id = quirks, next_id
        self.store = ResponseStore()
        self.conversations = conversations  # None: the ``conversation`` field is not read

    def history(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        previous = body.get("previous_response_id")
        if previous and self.quirks.previous_response_id == "resolve":
            stored = self.store.get(previous)
            if stored is None:
                raise ApiError(
                    404,
                    f"Previous response with id '{previous}' not found.",
                    kind="invalid_request_error",
                    param="previous_response_id",
                    code="previous_response_not_found",
                )
            return list(stored.context_items)
        conversation = conversation_id_of(body.get("conversation"))
        if conversation and self.conversations is not None:
            items = self.conversations.items(conversation)
            if items is None:
                raise ApiError(404, f"Conversation with id '{conversation}' not found.", param="conversation")
            return list(items)
        return []

    def parse(self, body: dict[str, Any]) -> ParsedRequest:
        q = self.quirks
        own_items = parse_input(body.get("input"))[1]
        history = self.history(body)
        instructions = body.get("instructions")
        system = [brain.Message("system", instructions)] if instructions else []
        turn = brain.Turn(
            messages=system + parse_input(history + own_items)[0],
            tools=parse_tools(body.get("tools"), q.tool_arguments),
            tool_choice=tool_choice_of(body.get("tool_choice"), q.tool_choice),
            schema=schema_of_text_format(body.get("text")) if q.text_format == "enforced" else None,
            parallel_tool_calls=body.get("parallel_tool_calls") is not False or not q.parallel_tool_calls_false,
            schema_forced=q.schema_with_tools == "forced",
        )
        return ParsedRequest(body, turn, history, own_items)

    def complete(self, parsed: ParsedRequest, model: str, decision: brain.Decision) -> dict[str, Any]:
        include = parsed.body.get("include")
        included = tuple(i for i in include if isinstance(i, str)) if isinstance(include, list) else ()
        output = output_items(decision, self.next_id, self.quirks, included)
        if self.quirks.call_items_without_id:
            output = [
                {k: v for k, v in item.items() if k != "id"} | {"call_id": "fc_" + item["call_id"]}
                if item["type"] == "function_call"
                else item
                for item in output
            ]
        usage = usage_of(brain.prompt_tokens(parsed.turn), brain.decision_tokens(decision))
        echoed = parsed.body
        if self.quirks.previous_response_id == "ignore":  # a server that never read the field echoes null
            echoed = {**parsed.body, "previous_response_id": None}
        if self.quirks.echoed_tool_choice is not None:  # a server that never read it echoes its own default
            echoed = {**echoed, "tool_choice": self.quirks.echoed_tool_choice}
        final = response_object(self.next_id("resp_"), model, echoed, output, usage)
        final = shaped(final, self.quirks)
        if parsed.body.get("store", True) is not False:
            context = parsed.history_items + parsed.input_items + as_input(output)
            self.store.put(StoredResponse(final, context, parsed.input_items))
        conversation = conversation_id_of(parsed.body.get("conversation"))
        if conversation and self.conversations is not None:
            self.conversations.append(conversation, parsed.input_items + as_input(output))
        return final

    def reply(self, body: dict[str, Any], model: str) -> HttpReply:
        parsed = self.parse(body)
        decision = shaped_decision(brain.decide(parsed.turn), self.quirks)
        final = self.complete(parsed, model, decision)
        if body.get("stream"):
            return HttpReply.sse(response_events(final, plan_from_decision(decision), self.quirks))
        return HttpReply.json(200, final)

    def count_input_tokens(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /v1/responses/input_tokens: what a run of the same request would count as input."""
        return {"object": "response.input_tokens", "input_tokens": brain.prompt_tokens(self.parse(body).turn)}

    def compact(self, body: dict[str, Any], model: str) -> dict[str, Any]:
        """POST /v1/responses/compact: one opaque compaction item holding the whole history.

        CompactedResponse's docstring speaks of the user messages followed by the compaction item, but
        its published type (a list of ResponseOutputItem) cannot hold a user message; the reference
        emulator returns what the type accepts, so the strict tier keeps it clean.
        """
        parsed = self.parse(body)
        items = parsed.history_items + parsed.input_items
        sealed = base64.b64encode(json.dumps(items).encode()).decode()
        output = [{"type": "compaction", "id": self.next_id("cmp_"), "encrypted_content": sealed}]
        prompt = brain.prompt_tokens(parsed.turn)
        return {
            "id": self.next_id("resp_"),
            "object": "response.compaction",
            "created_at": int(time.time()),
            "output": output,
            "usage": usage_of(prompt, 1),
        }
