"""Function tools and handoffs: features that compile to model tool calls."""

from __future__ import annotations

from typing import Any

import pytest
from agents import Agent, ModelSettings, RunContextWrapper, handoff
from pydantic import BaseModel

from ..judging import classify, probes
from ..outcomes import Judge
from ..running.backend import Backend
from .tools import TIME_MARKER, WEATHER_MARKER, get_time, get_weather

# Marked here so the suites run under any asyncio_mode a user's project has.
pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.feature("function_tools")
async def test_function_tools(backend: Backend, judge: Judge) -> None:
    agent = backend.agent("assistant", "Use your tools to answer.", tools=[get_weather])
    record = await backend.run(agent, "Use get_weather to find the weather in Paris.")
    observation = classify.function_tools(record, "get_weather", WEATHER_MARKER)
    judge(await probes.explain_miss(backend, observation, tools=[get_weather]))


# Each agent's instructions ask for a marker only they name: the answer shows the model read them.
SPECIALIST_MARKER = "BILLING-3307"
SPECIALIST_INSTRUCTIONS = (
    f"You are the billing specialist. Begin every answer with {SPECIALIST_MARKER}. "
    "Answer billing questions in one sentence."
)


class BillingQuestion(BaseModel):
    question: str


async def _took_question(context: RunContextWrapper[Any], question: BillingQuestion) -> None:
    """The SDK needs a handler for a handoff with input; the question travels in the history anyway."""


@pytest.mark.feature("handoffs")
async def test_handoffs(backend: Backend, judge: Judge) -> None:
    specialist = backend.agent("Billing specialist", SPECIALIST_INSTRUCTIONS)
    # With an argument: small models that answer a zero-argument transfer tool with prose call this one.
    transfer = handoff(specialist, on_handoff=_took_question, input_type=BillingQuestion)
    triage: Agent = backend.agent("Triage", "Hand billing questions to the billing specialist.", handoffs=[transfer])
    record = await backend.run(triage, "Please pass me to the billing specialist: why was I charged twice?")
    observation = classify.handoffs(record, specialist.name, SPECIALIST_INSTRUCTIONS, SPECIALIST_MARKER)
    judge(await probes.explain_miss(backend, observation, instructions=SPECIALIST_INSTRUCTIONS, tools=[get_weather]))


@pytest.mark.feature("streaming_tool_calls")
async def test_streaming_tool_calls(backend: Backend, judge: Judge) -> None:
    agent = backend.agent("assistant", "Use your tools to answer.", tools=[get_weather])
    record = await backend.run_streamed(agent, "Use get_weather to find the weather in Oslo.")
    observation = classify.streaming_tool_calls(record, "get_weather", WEATHER_MARKER)
    judge(await probes.explain_miss(backend, observation, tools=[get_weather]))


TRANSLATOR_MARKER = "FR-5120"
TRANSLATOR_INSTRUCTIONS = (
    f"You translate the user's text into French. Begin every answer with {TRANSLATOR_MARKER}, "
    "then give the translation only."
)


@pytest.mark.feature("agents_as_tools")
async def test_agents_as_tools(backend: Backend, judge: Judge) -> None:
    translator = backend.agent("French translator", TRANSLATOR_INSTRUCTIONS)
    tool = translator.as_tool(tool_name="translate_to_french", tool_description="Translate text into French.")
    orchestrator = backend.agent("Orchestrator", "Use your tools to answer.", tools=[tool])
    record = await backend.run(orchestrator, "Use translate_to_french with input=Bonjour-7731")
    observation = classify.agents_as_tools(record, "translate_to_french", TRANSLATOR_INSTRUCTIONS, TRANSLATOR_MARKER)
    judge(await probes.explain_miss(backend, observation, instructions=TRANSLATOR_INSTRUCTIONS, tools=[get_weather]))


@pytest.mark.feature("tool_choice_required")
async def test_tool_choice_required(backend: Backend, judge: Judge) -> None:
    agent = backend.agent(
        "assistant", "Answer the question.", tools=[get_weather], model_settings=ModelSettings(tool_choice="required")
    )
    record = await backend.run(agent, "Reply with exactly: no tool needed")
    judge(classify.tool_choice_required(record))


@pytest.mark.feature("tool_choice_named")
async def test_tool_choice_named(backend: Backend, judge: Judge) -> None:
    # The question asks for get_weather; only a backend that enforces the named choice calls get_time.
    agent = backend.agent(
        "assistant",
        "Use your tools to answer.",
        tools=[get_weather, get_time],
        model_settings=ModelSettings(tool_choice="get_time"),
    )
    record = await backend.run(agent, "Use get_weather for Madrid.")
    judge(classify.tool_choice_named(record, "get_time", "get_weather"))


@pytest.mark.feature("parallel_tool_calls")
async def test_parallel_tool_calls(backend: Backend, judge: Judge) -> None:
    instructions = "Use your tools to answer."
    agent = backend.agent(
        "assistant",
        instructions,
        tools=[get_weather, get_time],
        model_settings=ModelSettings(parallel_tool_calls=True),
    )
    record = await backend.run(agent, "Use get_weather and get_time for Paris.")
    observation = classify.parallel_tool_calls(record, ("get_weather", "get_time"), (WEATHER_MARKER, TIME_MARKER))
    tools = [get_weather, get_time]
    observation = await probes.explain_one_call(backend, observation, record, instructions, tools, "Paris")
    judge(await probes.explain_miss(backend, observation, tools=tools))
