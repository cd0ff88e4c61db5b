"""Read the captured wire: what the backend actually answered, independent of what the SDK made of it.

Every helper accepts both API flavours (Chat Completions and Responses) and both body kinds
(a JSON object or a list of SSE events), so classifiers need not care which one a profile uses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..wire.capture import Exchange


@dataclass(frozen=True)
class WireCall:
    name: str
    arguments: str
    id: str = ""  # the call id the SDK answers with (Responses call_id, chat tool_calls[].id)


@dataclass(frozen=True)
class WireUsage:
    input_tokens: int
    output_tokens: int

    @property
    def degenerate(self) -> bool:
        """Zeros (or less): what a backend that counts nothing reports; no token rule can read it."""
        return self.input_tokens <= 0 or self.output_tokens <= 0


# The same rough tokenizer the emulators' scripted model counts with: words and punctuation marks.
TOKEN = re.compile(r"\w+|[^\w\s]")


def token_count(text: str) -> int:
    """How many tokens a text is, roughly; a text of more than one must stream in more than one delta."""
    return len(TOKEN.findall(text))


def _chunks(exchange: Exchange) -> list[dict[str, Any]]:
    return [e["data"] for e in exchange.events if isinstance(e.get("data"), dict)]


def _responses_final(exchange: Exchange) -> dict[str, Any] | None:
    """The response object: the JSON body, or response.completed's (output rebuilt from items if empty)."""
    body = exchange.response_body
    if not exchange.streamed:
        return body if isinstance(body, dict) and body.get("object") == "response" else None
    final, items = None, []
    for data in _chunks(exchange):
        if data.get("type") == "response.output_item.done":
            items.append(data.get("item") or {})
        elif data.get("type") in ("response.completed", "response.incomplete", "response.failed"):
            final = dict(data.get("response") or {})
    if final is not None and not final.get("output"):
        final["output"] = items
    return final


def texts(exchange: Exchange) -> list[str]:
    """Assistant text the backend sent in this response."""
    final = _responses_final(exchange)
    if final is not None:
        return [
            "".join(part.get("text", "") for part in item.get("content") or [])
            for item in final.get("output") or []
            if item.get("type") == "message"
        ]
    if exchange.streamed:
        pieces = [
            (c.get("delta") or {}).get("content") or "" for data in _chunks(exchange) for c in data.get("choices") or []
        ]
        joined = "".join(pieces)
        return [joined] if joined else []
    body = exchange.response_body
    if isinstance(body, dict) and body.get("choices"):
        content = (body["choices"][0].get("message") or {}).get("content")
        return [content] if content else []
    return []


def tool_calls(exchange: Exchange) -> list[WireCall]:
    """Function calls the backend asked for in this response."""
    final = _responses_final(exchange)
    if final is not None:
        return [
            WireCall(i.get("name", ""), i.get("arguments", ""), str(i.get("call_id") or ""))
            for i in final.get("output") or []
            if i.get("type") == "function_call"
        ]
    if exchange.streamed:
        calls: dict[int, dict[str, str]] = {}
        for data in _chunks(exchange):
            for choice in data.get("choices") or []:
                for delta in (choice.get("delta") or {}).get("tool_calls") or []:
                    slot = calls.setdefault(delta.get("index", 0), {"name": "", "arguments": "", "id": ""})
                    slot["id"] = delta.get("id") or slot["id"]
                    function = delta.get("function") or {}
                    slot["name"] += function.get("name") or ""
                    slot["arguments"] += function.get("arguments") or ""
        return [WireCall(c["name"], c["arguments"], c["id"]) for _, c in sorted(calls.items())]
    body = exchange.response_body
    if isinstance(body, dict) and body.get("choices"):
        message = body["choices"][0].get("message") or {}
        return [
            WireCall(c["function"]["name"], c["function"].get("arguments", ""), str(c.get("id") or ""))
            for c in message.get("tool_calls") or []
        ]
    return []


@dataclass(frozen=True)
class WireReasoning:
    """Reasoning one response carried: where (a message field, or "reasoning item"), its text, and what is wrong
    with its shape (``defect``: the SDK drops or cannot read it)."""

    where: str
    text: str = ""
    encrypted: str | None = None  # a reasoning item's encrypted_content, if the field was there
    defect: str | None = None


# The chat message fields the SDK reads reasoning from (agents/models/chatcmpl_converter.py
# message_to_output_items, chatcmpl_stream_handler.py): strings, and Anthropic's thinking blocks via LiteLLM.
SDK_REASONING_FIELDS = ("reasoning_content", "reasoning")
OTHER_REASONING_FIELDS = ("thinking_blocks", "reasoning_details")  # lists the SDK reads, or passes by
REASONING_NAME = re.compile(r"reason|think", re.IGNORECASE)
THINK_TAG = re.compile(r"</?think>", re.IGNORECASE)


def _json_kind(value: Any) -> str:
    return {dict: "an object", list: "an array", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def _message_reasoning(fields: dict[str, Any]) -> list[WireReasoning]:
    found = []
    for key, value in fields.items():
        if key in OTHER_REASONING_FIELDS or value in (None, "") or not REASONING_NAME.search(key):
            continue
        if key not in SDK_REASONING_FIELDS:
            found.append(WireReasoning(key, str(value), defect=f"reasoning in `{key}`, a field the SDK does not read"))
        elif not isinstance(value, str):
            found.append(WireReasoning(key, defect=f"`{key}` is {_json_kind(value)}, not a string: the SDK drops it"))
        else:
            found.append(WireReasoning(key, value))
    return found


def _item_reasoning(item: dict[str, Any]) -> WireReasoning:
    parts = [*(item.get("summary") or []), *(item.get("content") or [])]
    if not isinstance(item.get("summary", []), list) or not isinstance(item.get("content") or [], list):
        return WireReasoning("reasoning item", defect="a reasoning item whose summary or content is not an array")
    if not all(isinstance(p, dict) and isinstance(p.get("text"), str) for p in parts):
        return WireReasoning("reasoning item", defect="a reasoning item with a text part that is not a string")
    encrypted = item.get("encrypted_content")
    return WireReasoning(
        "reasoning item", "\n".join(p["text"] for p in parts), encrypted if isinstance(encrypted, str) else None
    )


def reasoning(exchange: Exchange) -> list[WireReasoning]:
    """The reasoning a response carried, outside its text: reasoning items, or reasoning fields of the message
    (joined over a stream's deltas). ``<think>`` tags left in the text are not here: ``texts`` has them."""
    final = _responses_final(exchange)
    if final is not None:
        return [_item_reasoning(i) for i in final.get("output") or [] if i.get("type") == "reasoning"]
    if exchange.streamed:
        joined: dict[str, Any] = {}
        for data in _chunks(exchange):
            for choice in data.get("choices") or []:
                for key, value in (choice.get("delta") or {}).items():
                    if isinstance(value, str) and isinstance(joined.get(key, ""), str):
                        joined[key] = joined.get(key, "") + value
                    elif value is not None:
                        joined[key] = value  # not a string: kept as it came, and named
        return _message_reasoning(joined)
    body = exchange.response_body
    if isinstance(body, dict) and body.get("choices"):
        message = body["choices"][0].get("message")
        return _message_reasoning(message) if isinstance(message, dict) else []
    return []


def sent_reasoning(exchange: Exchange) -> list[str]:
    """The reasoning a request sent back: chat assistant messages' reasoning fields, or Responses reasoning
    items (their encrypted_content when they carry one, else their text), in order."""
    body = exchange.request_body if isinstance(exchange.request_body, dict) else {}
    sent = []
    for item in body.get("messages") or body.get("input") or []:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "reasoning":
            found = _item_reasoning(item)
            sent.append(found.encrypted or found.text)
        elif item.get("role") == "assistant":
            sent += [item[k] for k in SDK_REASONING_FIELDS if isinstance(item.get(k), str) and item[k]]
    return sent


def usage(exchange: Exchange) -> WireUsage | None:
    final = _responses_final(exchange)
    raw = None
    if final is not None:
        raw = final.get("usage")
    elif exchange.streamed:
        raw = next((d["usage"] for d in reversed(_chunks(exchange)) if d.get("usage")), None)
    elif isinstance(exchange.response_body, dict):
        raw = exchange.response_body.get("usage")
    if not isinstance(raw, dict):
        return None
    inp = raw.get("input_tokens", raw.get("prompt_tokens"))
    out = raw.get("output_tokens", raw.get("completion_tokens"))
    return WireUsage(int(inp), int(out or 0)) if isinstance(inp, int) else None


def capped_answer(exchange: Exchange) -> int | None:
    """Output tokens of an answer the server cut at its own cap: a Responses object ``incomplete`` for
    ``max_output_tokens`` although the request set none, with text and a token count to show for it (a
    backend that marks an empty answer incomplete proves no cap was reached). None otherwise."""
    final = _responses_final(exchange)
    if final is None or final.get("status") != "incomplete" or request_field(exchange, "max_output_tokens"):
        return None
    if (final.get("incomplete_details") or {}).get("reason") != "max_output_tokens":
        return None
    spent = usage(exchange)
    return spent.output_tokens if spent and spent.output_tokens > 0 and any(texts(exchange)) else None


def request_schema(exchange: Exchange) -> dict[str, Any] | None:
    """The JSON schema the request asked the backend to enforce, if any."""
    body = exchange.request_body if isinstance(exchange.request_body, dict) else {}
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema")
    fmt = (body.get("text") or {}).get("format") or {}
    return fmt.get("schema") if fmt.get("type") == "json_schema" else None


def request_field(exchange: Exchange, name: str) -> Any:
    body = exchange.request_body
    return body.get(name) if isinstance(body, dict) else None


def mentions(value: Any, needle: str) -> bool:
    return needle in (value if isinstance(value, str) else json.dumps(value))


def text_with(value: Any, needle: str) -> str | None:
    """The first string inside a JSON value that holds ``needle`` (a tool result inside a request)."""
    if isinstance(value, str):
        return value if needle in value else None
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return next((found for child in children if (found := text_with(child, needle)) is not None), None)


def result_counted(before: Exchange, carried: Exchange, result: str) -> tuple[bool | None, str]:
    """Did the backend put ``result`` (sent in ``carried``, the turn after ``before``) into the model's prompt?

    Read from the backend's own input token counts: ``carried``'s input is ``before``'s, plus the call the
    model wrote there (about ``before``'s output tokens), plus the result. A backend that drops the result
    grows by the call alone; one that counts nothing reports zeros, and then nothing can be told (None).
    """
    first, second = usage(before), usage(carried)
    if first is None or second is None or first.degenerate or second.degenerate:
        return None, "the backend reported no usable input token counts"
    beyond_call = second.input_tokens - first.input_tokens - first.output_tokens
    needed = token_count(result)
    return beyond_call >= needed, (
        f"input tokens {first.input_tokens} -> {second.input_tokens}: {beyond_call} beyond the "
        f"{first.output_tokens}-token call, for a result of about {needed}"
    )


def response_error(exchange: Exchange) -> str | None:
    """The backend's error message, whatever its body shape ({"error": {...}}, {"error": "..."}, {"detail"})."""
    body = exchange.response_body
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body.get("message")))
        if isinstance(error, dict):
            return str(error.get("message") or json.dumps(error))
        if error:
            return str(error)
    if isinstance(body, str) and body.strip():
        return body.strip()[:200]
    return None


def error_message(exchange: Exchange) -> str | None:
    """The message a backend's JSON error body gives a user; None for a non-JSON body or one without a message.

    Stricter than ``response_error``: neither the SDK's own "Error code: N" text nor the raw body counts
    as the backend's message, so "refused with no usable message" can be told apart from a clear refusal.
    """
    body = exchange.response_body
    if not isinstance(body, dict) or "json" not in exchange.response_headers.get("content-type", ""):
        return None
    error = body.get("error", body)
    if isinstance(error, dict):
        error = error.get("message", error.get("detail"))
    if error is None and isinstance(body.get("detail"), str):  # FastAPI's {"detail": "..."}
        error = body["detail"]
    return error.strip() if isinstance(error, str) and error.strip() else None


def json_error_body(exchange: Exchange) -> bool:
    """The error came as a JSON object, as the API's errors do (not a proxy's page or plain text)."""
    return "json" in exchange.response_headers.get("content-type", "") and isinstance(exchange.response_body, dict)


def empty_output(exchange: Exchange) -> bool:
    """A model call answered 200 with nothing in it: no text and no tool call (``output: []``)."""
    if _api_call(exchange) is None or exchange.status is None or not 200 <= exchange.status < 300:
        return False
    # reasoning alone is not nothing: a model that wrote only its reasoning (a weak one, its call inside the
    # think block) is the model's miss, judged by the reasoning column, not a do-nothing backend
    return not any(texts(exchange)) and not tool_calls(exchange) and not any(r.text for r in reasoning(exchange))


def argument_pieces(exchange: Exchange) -> list[int]:
    """For a streamed response: how many non-empty argument deltas each function call arrived in."""
    pieces: dict[Any, int] = {}
    for data in _chunks(exchange):
        if data.get("type") == "response.function_call_arguments.delta" and data.get("delta"):
            key = data.get("item_id", data.get("output_index"))
            pieces[key] = pieces.get(key, 0) + 1
        for choice in data.get("choices") or []:
            for delta in (choice.get("delta") or {}).get("tool_calls") or []:
                if (delta.get("function") or {}).get("arguments"):
                    pieces[delta.get("index", 0)] = pieces.get(delta.get("index", 0), 0) + 1
    return list(pieces.values())


# --- faults: what is wrong with the bytes themselves ------------------------------------------

RESPONSE_END_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})
HTML_TITLE = re.compile(r"<title>\s*(.*?)\s*</title>", re.IGNORECASE | re.DOTALL)


def _api_call(exchange: Exchange) -> str | None:
    """'chat' or 'responses' for the calls that run the model (their reply shape is known), else None."""
    if exchange.method != "POST":
        return None
    if exchange.path.endswith("/chat/completions"):
        return "chat"
    return "responses" if exchange.path.endswith("/responses") else None


def html_page(exchange: Exchange) -> str | None:
    """The title of an HTML page sent where the API's JSON belonged (a proxy's error page), else None."""
    body = exchange.response_body
    html = "text/html" in exchange.response_headers.get("content-type", "")
    if not isinstance(body, str) or not (html or body.lstrip().lower().startswith(("<!doctype html", "<html"))):
        return None
    title = HTML_TITLE.search(body)
    return title.group(1) if title else "untitled"


def _stream_defect(exchange: Exchange) -> str | None:
    raw = bytes(exchange.raw_response).replace(b"\r\n", b"\n")
    if not exchange.complete:
        return None  # the SDK stopped reading, or the connection failed: the error says which
    if raw.strip() and not raw.endswith(b"\n\n"):
        return "the stream ended mid-event"
    data = [e["data"] for e in exchange.events]
    if any(isinstance(d, str) and d != "[DONE]" for d in data):
        return "a stream event carried malformed JSON"
    kind = _api_call(exchange)
    events = [d for d in data if isinstance(d, dict)]
    if kind == "chat":
        if any("choices" not in d for d in events):
            return "stream events of the wrong shape (no 'choices')"
        if "[DONE]" not in data:
            return "the chat stream ended without data: [DONE] (so a cut stream looks complete)"
    if kind == "responses":
        if any("type" not in d for d in events):
            return "stream events of the wrong shape (no 'type')"
        if not any(d.get("type") in RESPONSE_END_EVENTS for d in events):
            return "the stream ended without response.completed"
    return _empty(exchange)


def defect(exchange: Exchange) -> str | None:
    """What is wrong with a successful response's bytes (cut, malformed, misshapen), named; else None."""
    if exchange.oversize:  # whatever its status: the capture stopped it, so nothing after it is the backend's
        return exchange.oversize_reason
    if exchange.undecoded:  # a Content-Encoding the harness did not ask for, or compressed bytes that do not inflate
        return exchange.undecoded
    if exchange.status is None or not 200 <= exchange.status < 300:
        return None
    if exchange.streamed:
        return _stream_defect(exchange)
    if not exchange.complete or "json" not in exchange.response_headers.get("content-type", ""):
        return None
    body = exchange.response_body
    if isinstance(body, str):
        return "a malformed JSON body"
    expected = {"chat": "choices", "responses": "output"}.get(_api_call(exchange) or "")
    if expected and not (isinstance(body, dict) and expected in body):
        return f"a JSON body of the wrong shape (no '{expected}')"
    return _empty(exchange)


def _empty(exchange: Exchange) -> str | None:
    # Named as the cause: every feature would otherwise read an empty answer as its own symptom
    # ("never returned a call", "did not use turn 1"), which is what a do-nothing backend sends.
    return "an empty output (200 with no text and no tool call)" if empty_output(exchange) else None
