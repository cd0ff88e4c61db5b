"""The Responses utilities around a run: input token counting, compaction, retrieval by id."""

from __future__ import annotations

import asyncio

import pytest

from harness import classify
from harness.backend import Backend
from harness.outcomes import Observation, Outcome
from suites.test_state import ASK, CODE_WORD, REMEMBER, RESPONSES_ONLY

# Marked here so the suites run under any asyncio_mode a user's project has.
pytestmark = pytest.mark.asyncio(loop_scope="session")

INSTRUCTIONS = "Answer briefly."
PROMPT = "Reply with exactly: retrieval check R-2231"


@pytest.mark.feature("input_tokens")
async def test_input_tokens(backend: Backend, judge) -> None:
    if not backend.uses_responses:
        judge(Observation(Outcome.SKIPPED, RESPONSES_ONLY))
        return
    model = backend.profile.model

    def counting(prompt: str):
        return lambda client: client.responses.input_tokens.count(
            model=model, instructions=INSTRUCTIONS, input=[{"role": "user", "content": prompt}], tools=[]
        )

    count = await backend.call(counting(PROMPT))
    longer = await backend.call(counting(f"{PROMPT}, and then count these seven more words too"))
    run = await backend.run(backend.agent("assistant", INSTRUCTIONS), PROMPT)
    judge(classify.input_tokens(count, run, longer), count, run, longer)


@pytest.mark.feature("compaction")
async def test_compaction(backend: Backend, judge) -> None:
    if not backend.uses_responses:
        judge(Observation(Outcome.SKIPPED, RESPONSES_ONLY))
        return
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
    live = backend.profile.tier == "live"
    judge(classify.compaction(turn1, compact, turn2, CODE_WORD, live), turn1, compact, turn2)


@pytest.mark.feature("response_retrieval")
async def test_response_retrieval(backend: Backend, judge) -> None:
    if not backend.uses_responses:
        judge(Observation(Outcome.SKIPPED, RESPONSES_ONLY))
        return
    run = await backend.run(backend.agent("assistant", INSTRUCTIONS), PROMPT)
    response_id = getattr(run.result, "last_response_id", None) or "resp_missing"
    # A gateway may store responses in the background; a user would retry a 404 briefly.
    for attempt in range(1, 11):  # noqa: B007 (attempt is reported after the loop)
        fetch = await backend.call(lambda client: client.responses.retrieve(response_id))
        if fetch.ok or getattr(fetch.error, "status_code", None) != 404 or not run.ok:
            break
        await asyncio.sleep(0.02)
    items = await backend.call(lambda client: client.responses.input_items.list(response_id))
    never_issued = await backend.call(lambda client: client.responses.retrieve("resp_never_issued_0000"))
    judge(
        classify.response_retrieval(run, fetch, items, "R-2231", attempt, never_issued), run, fetch, items, never_issued
    )
