"""The mutation suite: every emulator mutation in tests/mutations.py must be noticed by the matrix.

Each mutation's cells run in-process (the scenario functions themselves, with a judge that only
records), so the whole suite costs a few seconds. A mutation is killed when one of its cells differs
from the profile's declared outcome (so `pytest` would fail that cell) and the reason names the
cause; a surviving mutation fails here. docs/scenarios.md, "Mutation testing", gives the kill rate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from agents import set_tracing_disabled

from agents_compat.config.profiles import Profile, load_profiles
from agents_compat.launchers import endpoint_for
from agents_compat.outcomes import Observation, Outcome
from agents_compat.running.backend import Backend
from agents_compat.scenarios import (
    test_basics,
    test_gateway,
    test_lifecycle,
    test_reasoning,
    test_state,
    test_streaming,
    test_tools,
)
from tests.mutations import HARNESS_MUTATIONS, MUTATIONS, HarnessMutation, Mutation

SUITES: tuple[ModuleType, ...] = (
    test_basics,
    test_gateway,
    test_lifecycle,
    test_reasoning,
    test_state,
    test_streaming,
    test_tools,
)


def _scenarios() -> dict[str, Callable[..., Any]]:
    """Each feature's scenario function, found by its feature mark as the plugin finds it."""
    found = {}
    for module in SUITES:
        for value in vars(module).values():
            for mark in getattr(value, "pytestmark", []):
                if mark.name == "feature":
                    found[mark.args[0]] = value
    return found


SCENARIOS = _scenarios()


async def _observe(profile: Profile, feature: str) -> Observation:
    set_tracing_disabled(True)  # as the plugin does for a scenario: traces would go to OpenAI's servers
    seen: list[Observation] = []

    def judge(observation: Observation) -> None:
        seen.append(observation.on_tier(profile.tier))  # the plugin's judge applies the same rule

    async with endpoint_for(profile) as endpoint:
        backend = Backend(
            profile,
            endpoint.base_url,
            endpoint.transport,
            api_key=endpoint.api_key,
            timeout=10.0,
            faults=endpoint.faults,
        )
        try:
            await SCENARIOS[feature](backend, judge)
        finally:
            await backend.aclose()
    return seen[0]


def run_mutation(mutation: Mutation) -> dict[str, Observation]:
    """The mutation's cells, observed with the emulator changed."""
    profile = load_profiles()[mutation.profile]

    async def cells() -> dict[str, Observation]:
        return {feature: await _observe(profile, feature) for feature in mutation.features}

    with ExitStack() as stack:
        for patch in mutation.patch():
            stack.enter_context(patch)
        return asyncio.run(cells())


def killed_by(mutation: Mutation, observed: dict[str, Observation]) -> list[str]:
    """The cells that would fail the matrix and name the cause, as 'feature: expected -> observed (reason)'."""
    expect = load_profiles()[mutation.profile].expect
    return [
        f"{feature}: {expect.get(feature)} -> {o.outcome.value} ({o.reason})"
        for feature, o in observed.items()
        if expect.get(feature) is not o.outcome and mutation.cause in o.reason
    ]


def test_there_are_enough_mutations_and_each_names_real_cells() -> None:
    assert len(MUTATIONS) >= 25
    assert len({m.name for m in MUTATIONS}) == len(MUTATIONS)
    profiles = load_profiles()
    for mutation in MUTATIONS:
        assert mutation.features and set(mutation.features) <= set(SCENARIOS), mutation.name
        assert all(profiles[mutation.profile].expect[f] is not Outcome.SKIPPED for f in mutation.features)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_the_matrix_notices_the_mutation(mutation: Mutation) -> None:
    observed = run_mutation(mutation)
    killed = killed_by(mutation, observed)
    cells = "; ".join(f"{f}: {o.outcome.value} ({o.reason})" for f, o in observed.items())
    assert killed, (
        f"mutation {mutation.name!r} survived ({mutation.why}) on {mutation.profile}: "
        f"no cell differs from the profile and names {mutation.cause!r}; observed {cells}"
    )


def test_without_the_mutations_every_cell_is_as_declared() -> None:
    """The control: the same cells unmutated match their profiles, so a kill is the mutation's doing."""
    pairs = sorted({(m.profile, f) for m in MUTATIONS for f in m.features})
    profiles = load_profiles()

    async def cells() -> list[str]:
        differing = []
        for name, feature in pairs:
            observed = await _observe(profiles[name], feature)
            if observed.outcome is not profiles[name].expect[feature]:
                differing.append(f"{name}/{feature}: {observed.outcome.value} ({observed.reason})")
        return differing

    assert asyncio.run(cells()) == []


@pytest.mark.parametrize("mutation", HARNESS_MUTATIONS, ids=[m.name for m in HARNESS_MUTATIONS])
def test_the_harness_mutation_is_killed(mutation: HarnessMutation) -> None:
    """The rule holds as written, and the mutant breaks it: the check notices (the control and the kill)."""
    assert mutation.check(), f"{mutation.name}: the rule does not hold even unmutated"
    with ExitStack() as stack:
        for patch in mutation.patch():
            stack.enter_context(patch)
        assert not mutation.check(), f"harness mutation {mutation.name!r} survived ({mutation.why})"


def test_the_docs_state_the_kill_rate_of_this_suite() -> None:
    """The docs' kill rate is this file's: every mutation must be killed, so N of N."""
    page = (Path(__file__).parent.parent / "docs" / "scenarios.md").read_text(encoding="utf-8")
    count = len(MUTATIONS)
    assert f"**Kill rate: {count} of {count} (100%).**" in page
    assert f"`tests/mutations.py` keeps {count} emulator mutations" in page
