"""Live runs stop a model that keeps calling its tool after 2 turns; mocked runs keep the SDK's default."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx

from agents_compat.running.backend import LIVE_MAX_TURNS, Backend


def _backend(tier: str) -> Backend:
    profile: Any = SimpleNamespace(tier=tier)
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    return Backend(profile, "http://127.0.0.1:9/v1", transport, api_key="k", timeout=1)


def test_live_runs_get_the_turn_cap_unless_a_scenario_sets_one() -> None:
    live = _backend("live")
    assert live._turns({}) == {"max_turns": LIVE_MAX_TURNS} and LIVE_MAX_TURNS == 2
    assert live._turns({"max_turns": 5}) == {"max_turns": 5}


def test_mocked_runs_keep_the_sdk_default() -> None:
    assert _backend("mocked")._turns({}) == {}
