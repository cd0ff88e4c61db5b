"""Wire probes for a model's miss: did the instructions, the tools, or the second call reach the model at all?

A scenario whose model missed (no marker from the instructions, no call to an offered tool, one call of
two) cannot tell a weak model from a backend that silently dropped what the model needed: both answer
200 with a plausible reply. The backend's own token counts can. Each probe sends one pair of small
requests that differ only in the part in question and compares the input (or output) tokens the backend
reports for them:

- instructions: the same question under the scenario's instructions and under a one-word system prompt;
  a prompt that grew by less than half of the instructions' tokens never held them (a dropped system
  prompt counts the same twice);
- tools: the same request with and without a tool definition; no growth means the tools never reached
  the prompt;
- the second call: the turn that returned one call of the two asked for, against a turn asked for that
  one call alone; a turn whose output tokens are half again the single call's wrote more than came back.

Each rule compares the backend with itself, so its tokenizer and chat template cancel out. A backend that
reports no usable counts leaves the miss as it was (inconclusive on a live row). The probes' exchanges
become part of the cell's evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents import FunctionTool
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam

from ..outcomes import Observation, Outcome
from ..running.backend import Backend, RunRecord
from ..wire.capture import Exchange
from . import evidence

QUESTION = "Reply with exactly: OK"
PLAIN_SYSTEM = "Answer."  # a system prompt in both requests: chat templates that add a default one when none is given
REPLY_CAP = 16  # tokens: only the counts matter (16 is the least the Responses API takes)


def tool_json(tool: FunctionTool, api: str) -> dict[str, Any]:
    if api == "responses":
        return {"type": "function", "name": tool.name, "description": tool.description,
                "parameters": tool.params_json_schema, "strict": False}  # fmt: skip
    function = {"name": tool.name, "description": tool.description, "parameters": tool.params_json_schema}
    return {"type": "function", "function": function}


async def ask(
    backend: Backend,
    system: str,
    user: str,
    tools: Sequence[FunctionTool] = (),
    cap: int | None = REPLY_CAP,
    **extra: Any,
) -> RunRecord:
    """One raw request (no agent loop): what a single model turn counts. ``cap``: None for a whole answer."""
    api = backend.profile.api
    settings: dict[str, Any] = {"temperature": 0} if backend.profile.tier == "live" else {}
    if cap is not None:
        settings["max_output_tokens" if api == "responses" else "max_tokens"] = cap
    if tools:
        settings["tools"] = [tool_json(t, api) for t in tools]
    settings.update(extra)

    async def operation(client: AsyncOpenAI) -> Any:
        model = backend.profile.model
        if api == "responses":
            return await client.responses.create(model=model, instructions=system, input=user, **settings)
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        return await client.chat.completions.create(model=model, messages=messages, **settings)

    return await backend.call(operation)


def _usage(record: RunRecord) -> evidence.WireUsage | None:
    found = evidence.usage(record.exchanges[-1]) if record.exchanges and record.ok else None
    return None if found is None or found.degenerate else found


def _grew(with_part: RunRecord, without: RunRecord) -> tuple[int, int, int] | None:
    first, second = _usage(with_part), _usage(without)
    if first is None or second is None:
        return None
    return second.input_tokens, first.input_tokens, first.input_tokens - second.input_tokens


def instructions_reached(
    missed: Observation, with_part: RunRecord, without: RunRecord, instructions: str
) -> Observation:
    """``missed`` (a model's miss), or ``ignored`` when the counts show the instructions never reached the prompt."""
    grew = _grew(with_part, without)
    if grew is None:
        return missed
    plain, full, growth = grew
    needed = evidence.token_count(instructions) // 2
    if growth >= needed:
        return missed
    return Observation(
        Outcome.IGNORED,
        f"the instructions never reached the model's prompt: input tokens {plain} under a one-word system prompt, "
        f"{full} under the instructions ({growth:+d}, at least {needed} expected); {missed.reason}",
    )


def tools_reached(
    missed: Observation, with_part: RunRecord, without: RunRecord, tools: Sequence[FunctionTool]
) -> Observation:
    grew = _grew(with_part, without)
    if grew is None:
        return missed
    plain, full, growth = grew
    needed = max(2, sum(evidence.token_count(f"{t.name} {t.description}") for t in tools) // 2)
    if growth >= needed:
        return missed
    names = ", ".join(t.name for t in tools)
    return Observation(
        Outcome.IGNORED,
        f"the tool definitions never reached the model's prompt: input tokens {plain} without tools, {full} with "
        f"{names} ({growth:+d}, at least {needed} expected); {missed.reason}",
    )


def second_call_kept(missed: Observation, turn: Exchange, single: RunRecord) -> Observation:
    """``turn`` returned one call where two were asked for; ``single`` asked for that one call alone."""
    both, alone = evidence.usage(turn), _usage(single)
    calls = evidence.tool_calls(single.exchanges[-1]) if single.exchanges else []
    if both is None or both.degenerate or alone is None or len(calls) != 1 or any(evidence.texts(turn)):
        return missed
    if 2 * both.output_tokens < 3 * alone.output_tokens:
        return missed
    return Observation(
        Outcome.BROKEN,
        f"a tool call was dropped from the answer: the turn that returned one call counted {both.output_tokens} "
        f"output tokens, one call alone {alone.output_tokens}; {missed.reason}",
    )


async def explain_miss(
    backend: Backend,
    missed: Observation,
    *,
    instructions: str | None = None,
    tools: Sequence[FunctionTool] = (),
) -> Observation:
    """A model's miss, probed: the instructions and the tools the scenario gave, in that order."""
    if not missed.model_missed:
        return missed
    if instructions is not None:
        with_part = await ask(backend, instructions, QUESTION)
        without = await ask(backend, PLAIN_SYSTEM, QUESTION)
        found = instructions_reached(missed, with_part, without, instructions)
        if found is not missed:
            return found
    if tools:
        with_part = await ask(backend, PLAIN_SYSTEM, QUESTION, tools)
        without = await ask(backend, PLAIN_SYSTEM, QUESTION)
        return tools_reached(missed, with_part, without, tools)
    return missed


async def explain_one_call(
    backend: Backend, missed: Observation, record: RunRecord, system: str, tools: Sequence[FunctionTool], city: str
) -> Observation:
    """Two tools asked for in one turn, one came back: did the backend drop the other?"""
    if not missed.model_missed:
        return missed
    names = {t.name for t in tools}
    turn = next((e for e in record.exchanges if len({c.name for c in evidence.tool_calls(e)} & names) == 1), None)
    if turn is None:
        return missed
    returned = next(c.name for c in evidence.tool_calls(turn) if c.name in names)
    # Uncapped: the single call must be written whole to count as one (a cut one counts less, seen live).
    single = await ask(backend, system, f"Use {returned} for {city}.", tools, cap=None, parallel_tool_calls=True)
    return second_call_kept(missed, turn, single)
