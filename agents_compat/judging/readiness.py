"""Readiness: for the agent a user actually runs (the features it uses), is each backend ready?

READY: every feature the agent uses is supported. READY WITH LIMITATIONS: some are not, but each has
a known workaround that works on that backend (e.g. an SDK session instead of previous_response_id,
where session replay is supported). NOT READY: a feature fails with no workaround, or could not be
verified. The workarounds are data below, so the rule is readable in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.dataclasses import dataclass as model_dataclass

from ..config.features import FEATURE_IDS
from ..config.profiles import ProfileError, parse_toml, read_text
from ..outcomes import Outcome
from .matrix import Matrix

READY, LIMITED, NOT_READY = "READY", "READY WITH LIMITATIONS", "NOT READY"


@dataclass(frozen=True)
class Workaround:
    advice: str
    needs: str | None = None  # a feature that must be supported on the backend for the advice to hold


WORKAROUNDS: dict[str, Workaround] = {
    "previous_response_id": Workaround(
        "keep history client-side with an SDK session (e.g. SQLiteSession) instead of previous_response_id",
        "session_replay",
    ),
    "conversations": Workaround("use an SDK session instead of server-side conversations", "session_replay"),
    "compaction": Workaround("trim or summarise history yourself in an SDK session", "session_replay"),
    "structured_output": Workaround(
        "ask for JSON in the instructions and validate it yourself (the chat "
        "path enforces response_format where this path does not)"
    ),
    "tool_choice_required": Workaround(
        "tell the model to call the tool and check that a call happened (an output guardrail)", "function_tools"
    ),
    "parallel_tool_calls": Workaround(
        "accept one tool call per turn: the SDK loops until the model stops calling tools", "function_tools"
    ),
    "usage": Workaround("count tokens client-side or from non-streamed runs"),
    "input_tokens": Workaround("estimate tokens client-side before the run"),
    "response_retrieval": Workaround("keep the RunResult yourself instead of fetching the response by id"),
    "store_false": Workaround("do not chain to responses created with store=false: the backend does not refuse it"),
    # The four columns of what breaks in the field (README's legend says the same per outcome).
    "structured_output_with_tools": Workaround(
        "give the tools to one agent without output_type and hand its answer to a second agent that has it",
        "structured_output",
    ),
    "strict_tool_schema": Workaround(
        "validate the arguments in the tool (or function_tool(strict_json_schema=False) where strict is refused)",
        "function_tools",
    ),
    "streamed_tool_call_shape": Workaround(
        "run tool-calling agents with Runner.run, not Runner.run_streamed", "function_tools"
    ),
    "reasoning_roundtrip": Workaround(
        "run without ModelSettings(reasoning=...) on this backend, or give the server a reasoning parser"
    ),
}
# "skipped" means "not applicable"; for these features that is harmless (e.g. a model id with no namespace).
HARMLESS_WHEN_SKIPPED = frozenset({"namespaced_model_ids"})
WORKAROUND_APPLIES = frozenset({Outcome.IGNORED, Outcome.UNSUPPORTED, Outcome.SKIPPED})


@dataclass(frozen=True)
class AgentSpec:
    name: str
    features: tuple[str, ...]
    description: str = ""


@model_dataclass
class BackendReadiness:
    backend: str
    verdict: str
    limitations: list[dict[str, str]] = field(default_factory=list)  # feature, outcome, workaround
    blockers: list[dict[str, str]] = field(default_factory=list)  # feature, outcome, reason


class AgentReadiness(BaseModel):
    """One agent's verdict on every backend of the run: an entry of the report's ``readiness``."""

    agent: str
    description: str
    features: list[str]
    backends: list[BackendReadiness]


def parse_spec(text: str, index: int = 1) -> AgentSpec:
    """``name:feature,feature`` or ``feature,feature`` (from --compat-agent)."""
    name, sep, rest = text.partition(":")
    if not sep:
        name, rest = f"agent-{index}", text
    features = tuple(f.strip() for f in rest.replace("+", ",").split(",") if f.strip())
    return _validated(AgentSpec(name.strip(), features), f"--compat-agent {text!r}")


def load_agents(paths: Iterable[Path]) -> list[AgentSpec]:
    """``[agents.NAME]`` tables (features = [...], description = "...") from the backends files."""
    return agents_in([(str(path), parse_toml(str(path), read_text(path, "agents"))) for path in paths])


def agents_in(documents: Iterable[tuple[str, dict[str, Any]]]) -> list[AgentSpec]:
    """The ``[agents.NAME]`` tables of parsed backends files: (where it came from, its TOML document)."""
    agents = []
    for path, data in documents:
        tables = data.get("agents", {})
        if not isinstance(tables, dict):
            raise ProfileError(f"{path}: 'agents' must be tables: [agents.NAME]")
        for name, table in tables.items():
            if not isinstance(table, dict) or not isinstance(table.get("features"), list):
                raise ProfileError(f"{path}: agent '{name}': needs features = [\"feature_id\", ...]")
            spec = AgentSpec(name, tuple(map(str, table["features"])), str(table.get("description", "")))
            agents.append(_validated(spec, f"{path}: agent '{name}'"))
    return agents


def _validated(spec: AgentSpec, where: str) -> AgentSpec:
    if not spec.features:
        raise ProfileError(f"{where}: names no features")
    unknown = [f for f in spec.features if f not in FEATURE_IDS]
    if unknown:
        raise ProfileError(f"{where}: unknown feature id(s) {unknown}; known: {', '.join(FEATURE_IDS)}")
    return spec


def assess(agent: AgentSpec, matrix: Matrix) -> list[BackendReadiness]:
    return [_assess_backend(agent, matrix, backend) for backend in matrix.backends]


def _assess_backend(agent: AgentSpec, matrix: Matrix, backend: str) -> BackendReadiness:
    result = BackendReadiness(backend, READY)
    for feature in agent.features:
        cell = matrix.cells.get((backend, feature))
        if cell is None:
            result.blockers.append({"feature": feature, "outcome": "not measured", "reason": "no cell in this run"})
            continue
        outcome = cell.outcome
        if outcome is Outcome.SUPPORTED or (outcome is Outcome.SKIPPED and feature in HARMLESS_WHEN_SKIPPED):
            continue
        workaround = WORKAROUNDS.get(feature)
        needs_ok = workaround is not None and (
            workaround.needs is None or _supported(matrix, backend, workaround.needs)
        )
        if outcome in WORKAROUND_APPLIES and workaround is not None and needs_ok:
            result.limitations.append({"feature": feature, "outcome": outcome.value, "workaround": workaround.advice})
        else:
            result.blockers.append({"feature": feature, "outcome": outcome.value, "reason": cell.reason})
    if result.blockers:
        result.verdict = NOT_READY
    elif result.limitations:
        result.verdict = LIMITED
    return result


def _supported(matrix: Matrix, backend: str, feature: str) -> bool:
    cell = matrix.cells.get((backend, feature))
    return cell is not None and cell.outcome is Outcome.SUPPORTED


def of_agent(agent: AgentSpec, matrix: Matrix) -> AgentReadiness:
    return AgentReadiness(
        agent=agent.name,
        description=agent.description,
        features=list(agent.features),
        backends=assess(agent, matrix),
    )
