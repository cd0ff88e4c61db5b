"""Plain text and structured output: the single-request features."""

from __future__ import annotations

from typing import Literal

import pytest
from agents import ModelSettings
from pydantic import BaseModel

from ..judging import classify
from ..outcomes import Judge
from ..running.backend import Backend

# Marked here so the suites run under any asyncio_mode a user's project has.
pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.feature("plain_text")
async def test_plain_text(backend: Backend, judge: Judge) -> None:
    agent = backend.agent("assistant", "Answer in as few words as possible.")
    prompt = "Reply with exactly: PONG-7481"
    record = await backend.run(agent, prompt)
    judge(classify.plain_text(record, prompt, "PONG-7481"))


class CityFacts(BaseModel):
    city: str
    country: str
    population_millions: float
    # Named in the schema alone, never in the prompt: a reply that validates shows the schema reached the model
    # (a willing model writes the other fields as JSON unasked, seen live on llama-server, which drops text.format).
    schema_marker: Literal["cityfacts-v2"]


@pytest.mark.feature("structured_output")
async def test_structured_output(backend: Backend, judge: Judge) -> None:
    agent = backend.agent("facts", "Extract the facts the user gives, as JSON.", output_type=CityFacts)
    record = await backend.run(agent, "Facts: city=Lisbon country=Portugal population_millions=0.55")
    judge(classify.structured_output(record, CityFacts))


@pytest.mark.feature("usage")
async def test_usage(backend: Backend, judge: Judge) -> None:
    plain = await backend.run(backend.agent("assistant", "Answer briefly."), "Reply with exactly: counted")
    # Outside api.openai.com the SDK asks for streamed usage only when told to, as a user would.
    streaming = backend.agent("assistant", "Answer briefly.", model_settings=ModelSettings(include_usage=True))
    streamed = await backend.run_streamed(streaming, "Reply with exactly: counted as well")
    judge(classify.usage(plain, streamed))
