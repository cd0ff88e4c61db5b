"""Server-managed conversation state: previous_response_id."""

from __future__ import annotations

import pytest

from harness import classify
from harness.backend import Backend, RunRecord

# Marked here so the suites run under any asyncio_mode a user's project has.
pytestmark = pytest.mark.asyncio

CODE_WORD = "KIWI-4817"


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
    turn1 = await backend.run(agent, f"Remember this: the code word is {CODE_WORD}.")
    turn2 = await backend.run(agent, "What is the code word?", previous_response_id=_response_id(turn1))
    judge(classify.previous_response_id(turn1, turn2, CODE_WORD), turn1, turn2)
