"""What gateways change: namespaced model ids, and how backend errors reach the user."""

from __future__ import annotations

import openai
import pytest
from agents import Agent, MultiProvider, RunConfig

from ..judging import classify
from ..judging.classify import ErrorCase
from ..outcomes import Judge
from ..running.backend import Backend, RunRecord

# Marked here so the suites run under any asyncio_mode a user's project has.
pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.feature("namespaced_model_ids")
async def test_namespaced_model_ids(backend: Backend, judge: Judge) -> None:
    # namespaced: the plugin skips this scenario elsewhere (agents_compat/config/features.py)
    model_id = backend.profile.model
    agent = Agent(name="assistant", instructions="Answer briefly.", model=model_id)

    async def run_with(provider: MultiProvider) -> RunRecord:
        return await backend.run(agent, "Reply with exactly: namespaced", run_config=RunConfig(model_provider=provider))

    default = await run_with(MultiProvider(openai_client=backend.client(), openai_use_responses=backend.uses_responses))
    passing = MultiProvider(
        openai_client=backend.client(),
        openai_use_responses=backend.uses_responses,
        unknown_prefix_mode="model_id",
        openai_prefix_mode="model_id",
    )
    passthrough = await run_with(passing)
    # The same namespace with a model nobody serves: a backend that answers this too never read the id.
    bogus = Agent(
        name="assistant", instructions="Answer briefly.", model=model_id.split("/", 1)[0] + "/no-such-model-0"
    )
    unknown = await backend.run(bogus, "Reply with exactly: namespaced", run_config=RunConfig(model_provider=passing))
    judge(classify.namespaced_model_ids(default, passthrough, model_id, unknown))


UNKNOWN_MODEL = (openai.NotFoundError, openai.BadRequestError)
WRONG_KEY = (openai.AuthenticationError, openai.PermissionDeniedError)


@pytest.mark.feature("error_surfacing")
async def test_error_surfacing(backend: Backend, judge: Judge) -> None:
    prefix = backend.profile.model.split("/", 1)[0] + "/" if "/" in backend.profile.model else ""
    # The SDK's default client retries twice: a 4xx must still be sent once.
    retrying = backend.other_client(max_retries=2)
    unknown = await backend.run(
        Agent(name="a", instructions="-", model=backend.model(f"{prefix}no-such-model-0", retrying)),
        "Reply with exactly: hi",
    )
    wrong_key = backend.other_client(api_key="wrong-key-for-the-harness", max_retries=2)
    rejected = await backend.run(
        Agent(name="a", instructions="-", model=backend.model(client=wrong_key)), "Reply with exactly: hi"
    )
    cases = [ErrorCase("unknown model", unknown, UNKNOWN_MODEL), ErrorCase("wrong API key", rejected, WRONG_KEY)]
    agent = backend.agent("assistant", "Answer briefly.")
    for status, label, expected in ((429, "429", openai.RateLimitError), (500, "500", openai.InternalServerError)):
        record = None
        if backend.faults is not None:
            backend.faults.inject(status, f"injected {status} for the harness")
            record = await backend.run(agent, "Reply with exactly: hi")
        cases.append(ErrorCase(label, record, (expected,)))
    judge(classify.error_surfacing(cases))
