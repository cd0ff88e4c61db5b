"""Conversation state: server-managed (previous_response_id, conversations, store=false) and SDK sessions."""

from __future__ import annotations

import asyncio

import pytest
from agents import ModelSettings, SQLiteSession

from harness import classify
from harness.backend import Backend, RunRecord
from harness.outcomes import Observation, Outcome

# Marked here so the suites run under any asyncio_mode a user's project has.
pytestmark = pytest.mark.asyncio(loop_scope="session")

CODE_WORD = "KIWI-4817"
REMEMBER = f"Remember this: the code word is {CODE_WORD}."
ASK = "What is the code word?"
RESPONSES_ONLY = "a Responses API feature; this profile's SDK path is Chat Completions"


def _response_id(turn1: RunRecord) -> str | None:
    """What a user would chain from: the SDK's last_response_id, else the id the backend sent.

    Non-streamed Chat Completions runs report no response id, so the completion's own id stands in:
    the point is to see what the SDK and the backend do when a caller passes one.
    """
    given = getattr(turn1.result, "last_response_id", None)
    if given:
        return given
    body = turn1.exchanges[-1].response_body if turn1.exchanges else None
    return body.get("id") if isinstance(body, dict) else None


@pytest.mark.feature("previous_response_id")
async def test_previous_response_id(backend: Backend, judge) -> None:
    agent = backend.agent("assistant", "Answer briefly.")
    turn1 = await backend.run(agent, REMEMBER)
    turn2 = await backend.run(agent, ASK, previous_response_id=_response_id(turn1))
    judge(classify.previous_response_id(turn1, turn2, CODE_WORD), turn1, turn2)


@pytest.mark.feature("session_replay")
async def test_session_replay(backend: Backend, judge) -> None:
    agent = backend.agent("assistant", "Answer briefly.")
    session = SQLiteSession("compat-session")  # in memory
    turn1 = await backend.run(agent, REMEMBER, session=session)
    turn2 = await backend.run(agent, ASK, session=session)
    session.close()
    judge(classify.session_replay(turn1, turn2, CODE_WORD, live=backend.profile.tier == "live"), turn1, turn2)


@pytest.mark.feature("conversations")
async def test_conversations(backend: Backend, judge) -> None:
    create = await backend.call(lambda client: client.conversations.create())
    conversation_id = getattr(create.result, "id", None)
    agent = backend.agent("assistant", "Answer briefly.")
    turn1 = await backend.run(agent, REMEMBER, conversation_id=conversation_id)
    turn2 = await backend.run(agent, ASK, conversation_id=conversation_id)
    judge(classify.conversations(create, turn1, turn2, CODE_WORD), create, turn1, turn2)


@pytest.mark.feature("store_false")
async def test_store_false(backend: Backend, judge) -> None:
    if not backend.uses_responses:
        judge(Observation(Outcome.SKIPPED, RESPONSES_ONLY))
        return
    # The control: a response made with store=true. A backend that keeps nothing at all refuses both
    # later calls whatever store says, so only a backend that keeps this one shows store=false at work.
    stored = backend.agent("assistant", "Answer briefly.")
    control = await backend.run(stored, REMEMBER)
    control_id = getattr(control.result, "last_response_id", None) or "resp_missing"
    for _ in range(10):  # a gateway may store in the background, as in response_retrieval
        control_fetch = await backend.call(lambda client: client.responses.retrieve(control_id))
        if control_fetch.ok or getattr(control_fetch.error, "status_code", None) != 404 or not control.ok:
            break
        await asyncio.sleep(0.02)
    control_chain = None
    if not control_fetch.ok:
        control_chain = await backend.run(stored, ASK, previous_response_id=control_id)
    agent = backend.agent("assistant", "Answer briefly.", model_settings=ModelSettings(store=False))
    run = await backend.run(agent, REMEMBER)
    response_id = getattr(run.result, "last_response_id", None) or "resp_missing"
    fetch = await backend.call(lambda client: client.responses.retrieve(response_id))
    turn2 = await backend.run(stored, ASK, previous_response_id=response_id)
    kept = classify.StoreControl(control, control_fetch, control_chain)
    records = [r for r in (control, control_fetch, control_chain, run, fetch, turn2) if r is not None]
    judge(classify.store_false(run, fetch, turn2, CODE_WORD, kept), *records)
