"""The Responses utilities around a run: input token counting, compaction, retrieval by id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from openai import AsyncOpenAI

from ..judging import classify
from ..outcomes import Judge
from ..running.backend import Backend
from .prompts import ASK, CODE_WORD, REMEMBER

# Marked here so the suites run under any asyncio_mode a user's project has.
pytestmark = pytest.mark.asyncio(loop_scope="session")

INSTRUCTIONS = "Answer briefly."
PROMPT = "Reply with exactly: retrieval check R-2231"


@pytest.mark.feature("input_tokens")
async def test_input_tokens(backend: Backend, judge: Judge) -> None:
    model = backend.profile.model

    def counting(prompt: str) -> Callable[[AsyncOpenAI], Awaitable[Any]]:
        return lambda client: client.responses.input_tokens.count(
            model=model, instructions=INSTRUCTIONS, input=[{"role": "user", "content": prompt}], tools=[]
        )

    count = await backend.call(counting(PROMPT))
    run = await backend.run(backend.agent("assistant", INSTRUCTIONS), PROMPT)
    longer = await backend.call(counting(f"{PROMPT}, and then count these seven more words too"))
    judge(classify.input_tokens(count, run, longer))


@pytest.mark.feature("compaction")
async def test_compaction(backend: Backend, judge: Judge) -> None:
    agent = backend.agent("assistant", INSTRUCTIONS)
    turn1 = await backend.run(agent, REMEMBER)
    history = turn1.result.to_input_list() if turn1.ok else []
    model = backend.profile.model
    compact = await backend.call(lambda client: client.responses.compact(model=model, input=history))
    # The openai types model compacted user messages as output messages: dump them without warnings.
    compacted = [
        item.model_dump(exclude_none=True, warnings=False) for item in getattr(compact.result, "output", None) or []
    ]
    turn2 = await backend.run(agent, [*compacted, {"role": "user", "content": ASK}])
    judge(classify.compaction(turn1, compact, turn2, CODE_WORD))


@pytest.mark.feature("response_retrieval")
async def test_response_retrieval(backend: Backend, judge: Judge) -> None:
    run = await backend.run(backend.agent("assistant", INSTRUCTIONS), PROMPT)
    response_id = getattr(run.result, "last_response_id", None) or "resp_missing"
    # A gateway may store responses in the background; a user would retry a 404 briefly.
    fetch, attempt = await backend.call_until_stored(
        lambda client: client.responses.retrieve(response_id), tries=10 if run.ok else 1
    )
    items = await backend.call(lambda client: client.responses.input_items.list(response_id))
    never_issued = await backend.call(lambda client: client.responses.retrieve("resp_never_issued_0000"))
    judge(classify.response_retrieval(run, fetch, items, "R-2231", attempt, never_issued))
