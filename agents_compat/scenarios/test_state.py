"""Conversation state: server-managed (previous_response_id, conversations, store=false) and SDK sessions."""

from __future__ import annotations

import pytest
from agents import ModelSettings, SQLiteSession

from ..judging import classify
from ..outcomes import Judge
from ..running.backend import Backend, RunRecord
from .prompts import ASK, CODE_WORD, REMEMBER

# Marked here so the suites run under any asyncio_mode a user's project has.
pytestmark = pytest.mark.asyncio(loop_scope="session")


def _response_id(turn1: RunRecord) -> str | None:
    """What a user would chain from: the SDK's last_response_id, else the id the backend sent.

    Non-streamed Chat Completions runs report no response id, so the completion's own id stands in:
    the point is to see what the SDK and the backend do when a caller passes one.
    """
    given: str | None = getattr(turn1.result, "last_response_id", None)
    if given:
        return given
    body = turn1.exchanges[-1].response_body if turn1.exchanges else None
    return body.get("id") if isinstance(body, dict) else None


@pytest.mark.feature("previous_response_id")
async def test_previous_response_id(backend: Backend, judge: Judge) -> None:
    agent = backend.agent("assistant", "Answer briefly.")
    turn1 = await backend.run(agent, REMEMBER)
    turn2 = await backend.run(agent, ASK, previous_response_id=_response_id(turn1))
    judge(classify.previous_response_id(turn1, turn2, CODE_WORD))


@pytest.mark.feature("session_replay")
async def test_session_replay(backend: Backend, judge: Judge) -> None:
    agent = backend.agent("assistant", "Answer briefly.")
    session = SQLiteSession("compat-session")  # in memory
    turn1 = await backend.run(agent, REMEMBER, session=session)
    turn2 = await backend.run(agent, ASK, session=session)
    session.close()
    judge(classify.session_replay(turn1, turn2, CODE_WORD))


@pytest.mark.feature("conversations")
async def test_conversations(backend: Backend, judge: Judge) -> None:
    create = await backend.call(lambda client: client.conversations.create())
    conversation_id = getattr(create.result, "id", None)
    agent = backend.agent("assistant", "Answer briefly.")
    turn1 = await backend.run(agent, REMEMBER, conversation_id=conversation_id)
    turn2 = await backend.run(agent, ASK, conversation_id=conversation_id)
    judge(classify.conversations(create, turn1, turn2, CODE_WORD))


@pytest.mark.feature("store_false")
async def test_store_false(backend: Backend, judge: Judge) -> None:
    # The control: a response made with store=true. A backend that keeps nothing at all refuses both
    # later calls whatever store says, so only a backend that keeps this one shows store=false at work.
    stored = backend.agent("assistant", "Answer briefly.")
    control = await backend.run(stored, REMEMBER)
    control_id = getattr(control.result, "last_response_id", None) or "resp_missing"
    control_fetch, _ = await backend.call_until_stored(  # a gateway may store in the background
        lambda client: client.responses.retrieve(control_id), tries=10 if control.ok else 1
    )
    control_chain = None
    if not control_fetch.ok:
        control_chain = await backend.run(stored, ASK, previous_response_id=control_id)
    agent = backend.agent("assistant", "Answer briefly.", model_settings=ModelSettings(store=False))
    run = await backend.run(agent, REMEMBER)
    response_id = getattr(run.result, "last_response_id", None) or "resp_missing"
    fetch = await backend.call(lambda client: client.responses.retrieve(response_id))
    turn2 = await backend.run(stored, ASK, previous_response_id=response_id)
    kept = classify.StoreControl(control, control_fetch, control_chain)
    judge(classify.store_false(run, fetch, turn2, CODE_WORD, kept))
