"""The scripted model behind every emulator: a deterministic function from a conversation to a reply.

It plays the part of a small, obedient model so scenarios can observe what the *backend* does with
a request. It never sees a test, a profile or an expectation: only the conversation the backend
handed it (after the backend's own quirks, e.g. a dropped schema or an ignored tool_choice).

It reads what a real model reads. The system prompt is the leading system/developer messages (chat
templates render only those as the system prompt); an instruction there to "begin every answer with X"
puts X before every text answer, once per time it is given. Tool results count only after the
assistant turn that called them. So a gateway that drops, moves or repeats a system prompt or a tool
result changes the answer, as it would a real model's.

Rules, first match wins:
1. tool results came back after the last user message, each after the call it answers -> answer from
   them (JSON if a schema is enforced);
2. tool_choice names a tool, or is "required" -> call that tool (or the tools the user named, else the first);
3. tool_choice is "auto" and the last user message names offered tools -> call them (only the first if
   parallel calls are off); a handoff tool ``transfer_to_x_y`` is named by "x y";
   rules 2 and 3 give way to rule 4 when the backend forces the schema on every turn (``schema_forced``);
4. a JSON schema is enforced -> a JSON instance of it, filled from the user's words;
5. text: "Reply with exactly: X" -> X; "what is the code word" -> the code word from earlier turns (or
   "I do not know the code word."); anything else -> "You said: <message>".

A system prompt that asks for ``<think>`` tags makes the model reason first, as a model prompted so writes
them: the decision carries that reasoning beside its text or calls. Where it goes on the wire (a reasoning
field, a reasoning item, tags left in the text, nowhere) is the server's parser's choice, not the model's.
A call's arguments fill the tool's parameters from the user's words, and, as an obliging model does, add
any ``key="value"`` the user asks for that the schema lacks, unless the backend decodes the arguments
under the schema (``ToolSpec.constrained``) and the schema shuts extra keys out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

TOKEN = re.compile(r"\w+|[^\w\s]")
CAPITALISED = re.compile(r"\b([A-Z][A-Za-z0-9-]+)")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
CODE_WORD = re.compile(r"code word is ([A-Za-z0-9-]+)", re.IGNORECASE)
THINK_TAGS = re.compile(r"<think>", re.IGNORECASE)  # a system prompt that asks for them
ASKED_ARGUMENT = re.compile(r'\b([A-Za-z_]\w*)="([^"]*)"')
BEGIN_WITH = re.compile(r"\b(?:begin|start) (?:every|each|your) (?:answer|reply) with:?\s+([A-Za-z0-9][\w-]*)", re.I)


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # JSON text, as on the wire


@dataclass
class Message:
    role: str  # system | user | assistant | tool
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None


@dataclass(frozen=True)
class ToolSpec:
    name: str
    parameters: dict[str, Any]
    description: str = ""
    # The backend decodes the arguments under ``parameters`` (strict mode, or a grammar built from the schema):
    # a key the schema does not allow cannot be written.
    constrained: bool = False


@dataclass
class Turn:
    """What the model is asked to do, after the backend decided which request fields it honours."""

    messages: list[Message]
    tools: list[ToolSpec] = field(default_factory=list)
    tool_choice: str = "auto"  # auto | none | required | function:<name>
    schema: dict[str, Any] | None = None  # a JSON schema the backend enforces
    parallel_tool_calls: bool = True
    # The backend enforces ``schema`` from the first token of every turn (a grammar set before any call): the model
    # can only write the schema's JSON, never a tool call.
    schema_forced: bool = False


@dataclass(frozen=True)
class Decision:
    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    reasoning: str | None = None  # what the model wrote inside <think> tags before its answer


def with_think_tags(decision: Decision) -> Decision:
    """The decision as the model wrote it, reasoning in tags before the text: what a server that parses no
    reasoning passes on (llama.cpp --reasoning-format none, a template without reasoning markup)."""
    if not decision.reasoning:
        return decision
    return Decision(f"<think>{decision.reasoning}</think>\n{decision.text or ''}", decision.tool_calls)


def count_tokens(text: str) -> int:
    return len(TOKEN.findall(text))


def prompt_tokens(turn: Turn) -> int:
    parts = [m.text for m in turn.messages]
    parts += [c.name + c.arguments for m in turn.messages for c in m.tool_calls]
    parts += [t.name + json.dumps(t.parameters) for t in turn.tools]
    return sum(count_tokens(p) for p in parts) + 3 * len(turn.messages)


def decision_tokens(decision: Decision) -> int:
    calls = sum(count_tokens(c.name + c.arguments) for c in decision.tool_calls)
    return count_tokens(decision.text or "") + count_tokens(decision.reasoning or "") + calls


def decide(turn: Turn, call_id_prefix: str = "call_") -> Decision:
    decision = _decide(turn, call_id_prefix)
    if not any(THINK_TAGS.search(text) for text in system_prompt(turn)):
        return decision
    return Decision(decision.text, decision.tool_calls, _reasoning(decision))


def _reasoning(decision: Decision) -> str:
    """What the model thinks before it acts: which tools it will call, or that it can answer now."""
    if decision.tool_calls:
        names = " and ".join(c.name for c in decision.tool_calls)
        return f"The question names {names}, so I call it before answering."
    return "I have what I need, so I answer now."


def _decide(turn: Turn, call_id_prefix: str) -> Decision:
    user_index = max((i for i, m in enumerate(turn.messages) if m.role == "user"), default=-1)
    last_user = turn.messages[user_index].text if user_index >= 0 else ""
    tool_results = _paired_results(turn.messages[user_index + 1 :])

    if tool_results:
        return _answer(turn, last_user, tool_results)
    calls = [] if turn.schema is not None and turn.schema_forced else _choose_tools(turn, last_user)
    if calls:
        return Decision(
            tool_calls=tuple(
                ToolCall(f"{call_id_prefix}{user_index}_{n}", tool.name, json.dumps(_arguments(tool, last_user)))
                for n, tool in enumerate(calls)
            )
        )
    return _answer(turn, last_user, [])


def _arguments(tool: ToolSpec, last_user: str) -> Any:
    """The parameters filled from the user's words, plus each ``key="value"`` asked for that the schema lacks,
    unless the backend constrains the arguments and the schema does not let extra keys in."""
    arguments = _instance(tool.parameters, last_user)
    if not isinstance(arguments, dict):
        return arguments
    shut = tool.constrained and tool.parameters.get("additionalProperties") is not True
    known = tool.parameters.get("properties")
    for key, value in ASKED_ARGUMENT.findall(last_user):
        if not shut and (not isinstance(known, dict) or key not in known):
            arguments.setdefault(key, value)
    return arguments


def _paired_results(messages: list[Message]) -> list[Message]:
    """Tool results that follow the assistant turn calling them; a result out of place is noise to a model."""
    called: set[str] = set()
    paired = []
    for message in messages:
        called |= {c.id for c in message.tool_calls}
        if message.role == "tool" and (message.tool_call_id in called or (not message.tool_call_id and called)):
            paired.append(message)
    return paired


def system_prompt(turn: Turn) -> list[str]:
    """The leading system messages: what a chat template renders as the system prompt."""
    prompt = []
    for message in turn.messages:
        if message.role != "system":
            break
        prompt.append(message.text)
    return prompt


def _prefix(turn: Turn) -> str:
    """What the system prompt asks every answer to begin with (repeated as often as it is asked)."""
    return "".join(f"{marker} " for text in system_prompt(turn) for marker in BEGIN_WITH.findall(text))


def _choose_tools(turn: Turn, last_user: str) -> list[ToolSpec]:
    if not turn.tools or turn.tool_choice == "none":
        return []
    if turn.tool_choice.startswith("function:"):
        wanted = turn.tool_choice.removeprefix("function:")
        return [t for t in turn.tools if t.name == wanted][:1]
    named = [t for t in turn.tools if _names(t.name, last_user)]
    if not turn.parallel_tool_calls:
        named = named[:1]
    if turn.tool_choice == "required":
        return named or turn.tools[:1]
    return named


def _names(tool_name: str, text: str) -> bool:
    lowered = text.lower()
    if tool_name.lower() in lowered:
        return True
    target = tool_name.removeprefix("transfer_to_")
    return target != tool_name and target.replace("_", " ").lower() in lowered


def _answer(turn: Turn, last_user: str, tool_results: list[Message]) -> Decision:
    if tool_results:
        names = {c.id: c.name for m in turn.messages for c in m.tool_calls}
        text = " ".join(f"According to {names.get(r.tool_call_id or '', 'the tool')}: {r.text}" for r in tool_results)
    else:
        text = _text_reply(turn, last_user)
    if turn.schema is not None:
        return Decision(text=json.dumps(_instance(turn.schema, last_user + " " + text)))
    return Decision(text=_prefix(turn) + text)


def _text_reply(turn: Turn, last_user: str) -> str:
    exact = re.search(r"reply with exactly:?\s*(.+)", last_user, re.IGNORECASE | re.DOTALL)
    if exact:
        return exact.group(1).strip()
    if "code word" in last_user.lower() and "?" in last_user:
        for message in reversed(turn.messages):
            found = CODE_WORD.search(message.text)
            if found and message.text != last_user:
                return f"The code word is {found.group(1)}."
        return "I do not know the code word."
    return f"You said: {last_user.strip()}"


def _instance(schema: Any, words: str, root: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """A deterministic value that validates against ``schema``, filled from the user's words.

    Total over any JSON: a schema it cannot read (wrong types, a $ref cycle) yields null rather than
    an exception, as a model given a nonsense schema still answers something.
    """
    if not isinstance(schema, dict) or depth > 32:
        return None
    root = root if root is not None else schema
    if isinstance(schema.get("$ref"), str):
        defs = root.get("$defs", root.get("definitions", {}))
        target = defs.get(schema["$ref"].rsplit("/", 1)[-1]) if isinstance(defs, dict) else None
        return _instance(target, words, root, depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            plain = [s for s in options if isinstance(s, dict) and s.get("type") != "null"] or options
            return _instance(plain[0], words, root, depth + 1)
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return {}
        return {name: _property(name, sub, words, root, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        return [_instance(schema.get("items", {"type": "string"}), words, root, depth + 1)]
    return _scalar(kind, "", words)


def _property(name: str, schema: Any, words: str, root: dict[str, Any], depth: int) -> Any:
    kind = schema.get("type") if isinstance(schema, dict) else None
    fixed = isinstance(schema, dict) and ("const" in schema or schema.get("enum"))  # the schema decides the value
    if kind in ("string", "integer", "number", "boolean") and not fixed:
        return _scalar(kind, name, words)
    return _instance(schema, words, root, depth)


def _scalar(kind: str, name: str, words: str) -> Any:
    given = re.search(rf"\b{re.escape(name)}\s*[=:]\s*\"?(-?\d+(?:\.\d+)?|[^\s\",.;]+)", words) if name else None
    if kind == "string":
        if given:
            return given.group(1)
        capitals = CAPITALISED.findall(words)[1:]  # the first capital usually starts the sentence
        return capitals[-1] if capitals else "example"
    if kind in ("integer", "number"):
        match = given.group(1) if given and NUMBER.fullmatch(given.group(1)) else None
        numbers = [match] if match else NUMBER.findall(words)
        value = float(numbers[0]) if numbers else 1
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return True
    return None
