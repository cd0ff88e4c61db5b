"""Function tools and handoffs: features that compile to model tool calls."""

from __future__ import annotations

import pytest
from agents import Agent

from harness import classify
from harness.backend import Backend
from suites.tools import WEATHER_MARKER, get_weather

# Marked here so the suites run under any asyncio_mode a user's project has.
pytestmark = pytest.mark.asyncio


@pytest.mark.feature("function_tools")
async def test_function_tools(backend: Backend, judge) -> None:
    agent = backend.agent("assistant", "Use your tools to answer.", tools=[get_weather])
    record = await backend.run(agent, "Use get_weather to find the weather in Paris.")
    judge(classify.function_tools(record, "get_weather", WEATHER_MARKER, live=backend.profile.tier == "live"), record)


SPECIALIST_INSTRUCTIONS = "You are the billing specialist. Answer billing questions in one sentence."


@pytest.mark.feature("handoffs")
async def test_handoffs(backend: Backend, judge) -> None:
    specialist = backend.agent("Billing specialist", SPECIALIST_INSTRUCTIONS)
    triage: Agent = backend.agent("Triage", "Hand billing questions to the billing specialist.", handoffs=[specialist])
    record = await backend.run(triage, "Please pass me to the billing specialist: why was I charged twice?")
    judge(
        classify.handoffs(record, specialist.name, SPECIALIST_INSTRUCTIONS, live=backend.profile.tier == "live"), record
    )
