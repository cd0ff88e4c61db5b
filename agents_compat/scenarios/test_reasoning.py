"""Reasoning: surfaced apart from the text, kept across a tool turn, never leaked into the answer."""

from __future__ import annotations

import pytest
from agents import ModelSettings
from openai.types.shared import Reasoning

from ..judging import classify
from ..outcomes import Judge
from ..running.backend import Backend
from .tools import WEATHER_MARKER, get_weather

# Marked here so the suites run under any asyncio_mode a user's project has.
pytestmark = pytest.mark.asyncio(loop_scope="session")

# The live model does not reason by itself: asked so, it writes the tags a server's reasoning parser takes out
# (worded so that Qwen2.5-Coder-0.5B closes them before its call: docs/live-tier.md). A reasoning model writes
# them anyway; the reason of every cell says the tags were asked for.
THINK_INSTRUCTIONS = (
    "Use your tools to answer. First write one short sentence of reasoning between <think> and </think>. "
    "After </think>, write the tool call or the answer."
)
INCLUDE = "reasoning.encrypted_content"


@pytest.mark.feature("reasoning_roundtrip")
async def test_reasoning_roundtrip(backend: Backend, judge: Judge) -> None:
    settings = ModelSettings(reasoning=Reasoning(effort="low"))
    if backend.uses_responses:
        # Nothing kept server-side: the reasoning can only come back as the encrypted_content asked for here.
        settings = ModelSettings(
            reasoning=Reasoning(effort="low", summary="auto"), store=False, response_include=[INCLUDE]
        )
    agent = backend.agent("assistant", THINK_INSTRUCTIONS, tools=[get_weather], model_settings=settings)
    record = await backend.run(agent, "Use get_weather to find the weather in Paris.")
    judge(classify.reasoning_roundtrip(record, "get_weather", WEATHER_MARKER, backend.uses_responses))
