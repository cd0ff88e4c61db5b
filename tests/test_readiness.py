"""Readiness verdicts: the rule on synthetic matrices, and three agents over every built-in profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents_compat.config.profiles import ProfileError, load_profiles
from agents_compat.judging import readiness
from agents_compat.judging.matrix import Matrix
from agents_compat.judging.readiness import LIMITED, NOT_READY, READY, AgentSpec
from agents_compat.outcomes import Cell, Outcome
from agents_compat.testing import run_suites

S, U, IGN, B, K = Outcome.SUPPORTED, Outcome.UNSUPPORTED, Outcome.IGNORED, Outcome.BROKEN, Outcome.SKIPPED


def matrix_of(**outcomes: Outcome) -> Matrix:
    profile = load_profiles()["ollama-chat"]
    matrix = Matrix()
    for feature, outcome in outcomes.items():
        matrix.add(profile, Cell(profile.name, feature, "mocked", outcome, f"{feature} {outcome.value}", None))
    return matrix


def verdict(agent_features: tuple[str, ...], **outcomes: Outcome) -> readiness.BackendReadiness:
    return readiness.assess(AgentSpec("a", agent_features), matrix_of(**outcomes))[0]


def test_all_supported_is_ready() -> None:
    assert verdict(("plain_text", "handoffs"), plain_text=S, handoffs=S).verdict == READY


def test_a_workaround_that_works_on_the_backend_is_a_limitation() -> None:
    result = verdict(("previous_response_id",), previous_response_id=IGN, session_replay=S)
    assert result.verdict == LIMITED
    assert result.limitations == [
        {
            "feature": "previous_response_id",
            "outcome": "ignored",
            "workaround": readiness.WORKAROUNDS["previous_response_id"].advice,
        }
    ]


@pytest.mark.parametrize(
    ("feature", "needs"),
    [
        ("structured_output_with_tools", "structured_output"),
        ("strict_tool_schema", "function_tools"),
        ("streamed_tool_call_shape", "function_tools"),
    ],
)
def test_the_field_columns_are_limitations_only_where_their_workaround_works(feature: str, needs: str) -> None:
    limited = verdict((feature,), **{feature: IGN, needs: S})
    assert limited.verdict == LIMITED and limited.limitations[0]["feature"] == feature
    assert verdict((feature,), **{feature: IGN, needs: IGN}).verdict == NOT_READY
    assert verdict((feature,), **{feature: B, needs: S}).verdict == NOT_READY  # a misshapen wire has no workaround


def test_reasoning_that_does_not_round_trip_is_a_limitation_but_broken_reasoning_blocks() -> None:
    assert verdict(("reasoning_roundtrip",), reasoning_roundtrip=U).verdict == LIMITED
    assert verdict(("reasoning_roundtrip",), reasoning_roundtrip=B).verdict == NOT_READY


def test_a_workaround_that_needs_a_broken_feature_does_not_count() -> None:
    result = verdict(("previous_response_id",), previous_response_id=U, session_replay=B)
    assert result.verdict == NOT_READY
    assert result.blockers[0]["feature"] == "previous_response_id"


def test_broken_is_never_worked_around() -> None:
    assert verdict(("usage",), usage=B).verdict == NOT_READY


def test_a_feature_without_a_workaround_blocks() -> None:
    assert verdict(("handoffs",), handoffs=IGN).verdict == NOT_READY


def test_an_unmeasured_feature_blocks() -> None:
    result = verdict(("plain_text", "handoffs"), plain_text=S)
    assert result.verdict == NOT_READY
    assert result.blockers == [{"feature": "handoffs", "outcome": "not measured", "reason": "no cell in this run"}]


def test_skipped_namespaced_ids_are_harmless_but_skipped_retrieval_is_a_limitation() -> None:
    assert verdict(("namespaced_model_ids",), namespaced_model_ids=K).verdict == READY
    assert verdict(("response_retrieval",), response_retrieval=K).verdict == LIMITED


def test_specs_from_the_command_line_and_toml(tmp_path: Path) -> None:
    assert readiness.parse_spec("bot:function_tools+handoffs") == AgentSpec("bot", ("function_tools", "handoffs"))
    assert readiness.parse_spec("streaming, usage", 3) == AgentSpec("agent-3", ("streaming", "usage"))
    with pytest.raises(ProfileError, match=r"unknown feature id\(s\) \['teleport'\]"):
        readiness.parse_spec("bot:teleport")
    path = tmp_path / "agents.toml"
    path.write_text('[agents.helpdesk]\ndescription = "ours"\nfeatures = ["handoffs", "session_replay"]\n')
    assert readiness.load_agents([path]) == [AgentSpec("helpdesk", ("handoffs", "session_replay"), "ours")]
    path.write_text('[agents.helpdesk]\nfeatures = "handoffs"\n')
    with pytest.raises(ProfileError, match="agent 'helpdesk': needs features"):
        readiness.load_agents([path])


# Three agents over every built-in profile, from a real mocked run of the features they use.
AGENTS = {
    "tools-json": "function_tools,structured_output",
    "memory": "plain_text,previous_response_id",
    "metered": "function_tools,usage",
}
EXPECTED = {
    # text.format ignored: llama.cpp's Responses path, and GoModel v0.1.22 (recorded live)
    # llama-cpp-python: tools are called only under a named tool_choice, json_schema is a 500, no stream usage
    "tools-json": {
        "llamacpp-responses": LIMITED,
        "gomodel-0122-translated": LIMITED,
        "llama-cpp-python-chat": NOT_READY,
    },
    "memory": {"openai-responses": READY, "gomodel-native": READY, "gomodel-store-translated": READY},
    # GoModel streams usage in chat names until c0b5d40 (v0.1.22, v0.1.59); the store row is after it
    "metered": {
        "gomodel-translated": NOT_READY,
        "gomodel-0122-translated": NOT_READY,
        "llama-cpp-python-chat": NOT_READY,
    },
}
DEFAULT = {"tools-json": READY, "memory": LIMITED, "metered": READY}


def test_three_agents_across_all_profiles(pytester: pytest.Pytester) -> None:
    # session_replay too: it is the workaround that makes a dropped previous_response_id a mere limitation
    features = "plain_text or function_tools or structured_output or previous_response_id or session_replay or usage"
    agents = [arg for name, spec in AGENTS.items() for arg in ("--compat-agent", f"{name}:{spec}")]
    result = run_suites(pytester, "-m", "mocked", "-k", features, *agents)
    assert result.ret == 0
    report = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())
    seen = {entry["agent"]: {b["backend"]: b["verdict"] for b in entry["backends"]} for entry in report["readiness"]}
    for agent in AGENTS:
        expected = {name: EXPECTED[agent].get(name, DEFAULT[agent]) for name in load_profiles()}
        assert seen[agent] == expected, agent
    result.stdout.fnmatch_lines(
        [
            "Readiness of agent 'memory' (plain_text, previous_response_id)",
            "*gomodel-translated*READY WITH LIMITATIONS",
            "*previous_response_id unsupported: keep history client-side*",
        ]
    )
    assert "## Readiness" in (pytester.path / "out" / "compat-matrix.md").read_text()
