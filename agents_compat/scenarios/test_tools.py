"""Function tools and handoffs: features that compile to model tool calls."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from agents import Agent, ModelSettings, RunContextWrapper, handoff
from pydantic import BaseModel

from ..judging import classify, probes
from ..outcomes import Judge
from ..running.backend import Backend
from .tools import (
    BOOK_TABLE_LOOSE,
    TIME_MARKER,
    TRACKING_CODE,
    WEATHER_MARKER,
    book_table,
    get_time,
    get_weather,
    lookup_order,
)

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


# Asks for an argument book_table's schema does not have: only a backend that decodes the strict schema leaves it out.
BOOKING_REQUEST = 'Use book_table for guests=4, and pass note="window seat" too.'


@pytest.mark.feature("strict_tool_schema")
async def test_strict_tool_schema(backend: Backend, judge: Judge) -> None:
    # One model turn each: the first response holds the call; what the model does with the result is not asked.
    strict = await backend.run(
        backend.agent("host", "Use your tools.", tools=[book_table]), BOOKING_REQUEST, max_turns=1
    )
    control = None
    if classify.strict_call_kept_schema(strict, "book_table"):  # else the strict call alone decides
        loose = backend.agent("host", "Use your tools.", tools=[BOOK_TABLE_LOOSE])
        control = await backend.run(loose, BOOKING_REQUEST, max_turns=1)
    observation = classify.strict_tool_schema(strict, control, "book_table", "note")
    judge(await probes.explain_miss(backend, observation, tools=[book_table]))


@pytest.mark.feature("streamed_tool_call_shape")
async def test_streamed_tool_call_shape(backend: Backend, judge: Judge) -> None:
    # parallel_tool_calls left unset: a backend that refuses the field (LiteLLM on ollama_chat) still streams calls.
    agent = backend.agent("assistant", "Use your tools to answer.", tools=[get_weather, get_time])
    record = await backend.run_streamed(agent, "Use get_weather and get_time for Paris.")
    judge(await probes.explain_miss(backend, classify.streamed_tool_call_shape(record), tools=[get_weather, get_time]))


# Last of the file: llama-server 4227c9b dies on this request (docs/backends.md), which would take the cells
# after it on that live row down with it.
class OrderStatus(BaseModel):
    order_id: str
    tracking_code: str  # only lookup_order's result holds it
    schema_marker: Literal["orderstatus-v1"]  # named in the schema alone (as test_basics.CityFacts)


ORDER_QUESTION = "Use lookup_order for order_id=A-1001 and give its tracking_code."


@pytest.mark.feature("structured_output_with_tools")
async def test_structured_output_with_tools(backend: Backend, judge: Judge) -> None:
    instructions = "Use your tools to answer."  # the SDK asks for the schema; words about JSON invite a fenced call
    agent = backend.agent("orders", instructions, tools=[lookup_order], output_type=OrderStatus)
    record = await backend.run(agent, ORDER_QUESTION)
    observation = classify.structured_output_with_tools(record, "lookup_order", TRACKING_CODE, OrderStatus)
    if observation.model_missed and not record.exchanges[1:]:
        # No call: the same question with the tools alone tells a lost pair from a model that never calls.
        tools_alone = backend.agent("orders", instructions, tools=[lookup_order])
        control = await backend.run(tools_alone, ORDER_QUESTION, max_turns=1)
        observation = classify.schema_stopped_call(observation, control, "lookup_order")
    judge(await probes.explain_miss(backend, observation, tools=[lookup_order]))

