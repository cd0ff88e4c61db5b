"""Streaming: text deltas and a streamed tool call through Runner.run_streamed."""

from __future__ import annotations

import pytest

from harness import classify
from harness.backend import Backend
from suites.tools import WEATHER_MARKER, get_weather

# Marked here so the suites run under any asyncio_mode a user's project has.
pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.feature("streaming")
async def test_streaming(backend: Backend, judge) -> None:
    text_run = await backend.run_streamed(
        backend.agent("assistant", "Answer briefly."), "Reply with exactly: one two three four five"
    )
    tool_agent = backend.agent("assistant", "Use your tools to answer.", tools=[get_weather])
    tool_run = await backend.run_streamed(tool_agent, "Use get_weather to find the weather in Rome.")
    observation = classify.streaming(
        text_run, tool_run, "get_weather", WEATHER_MARKER, live=backend.profile.tier == "live"
    )
    judge(observation, text_run, tool_run)
