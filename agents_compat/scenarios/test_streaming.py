"""Streaming: text deltas through Runner.run_streamed (a streamed tool call is streaming_tool_calls)."""

from __future__ import annotations

import pytest

from ..judging import classify
from ..outcomes import Judge
from ..running.backend import Backend

# Marked here so the suites run under any asyncio_mode a user's project has.
pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.feature("streaming")
async def test_streaming(backend: Backend, judge: Judge) -> None:
    text_run = await backend.run_streamed(
        backend.agent("assistant", "Answer briefly."), "Reply with exactly: one two three four five"
    )
    judge(classify.streaming(text_run))
