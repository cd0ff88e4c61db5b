"""The session's report: one model, built once at session finish, that every output renders.

The terminal summary, Markdown, HTML (harness/render.py, harness/html_report.py) and the JSON file (its
dump, ``Report.to_json``) all take a ``Report``; JUnit properties take its ``Cell``. The JSON schema is
``Report.json_schema()``, kept as docs/compat-matrix.schema.json for readers of the file. ``Matrix`` is
what the session collects while it runs; ``build`` turns it, the agents and the baseline into the report.
"""

from __future__ import annotations

import platform
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from functools import cached_property
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import BaseModel, ConfigDict

from . import agreement, diff, readiness, verdict
from .features import FEATURES
from .matrix import Matrix
from .outcomes import Cell


def package_versions() -> dict[str, str]:
    found = {}
    for name in ("openai-agents", "openai", "httpx", "respx", "pytest"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    found["python"] = platform.python_version()
    return found


class _Part(BaseModel):
    # Every key is written, defaults too: the schema says so (a reader need not guess a default).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class Interrupted(_Part):
    reason: str
    cells: int


class Column(_Part):
    """A feature column: its id, its narrow header and what its scenario verifies (harness/features.py)."""

    id: str
    short: str
    verifies: str


class Row(_Part):
    """A backend row: the profile (or live row) it ran, and the version its server reported."""

    name: str
    family: str
    api: str
    model: str
    tier: str
    version: str | None
    description: str


class Report(BaseModel):
    interrupted: Interrupted | None = None  # only in the file of a session stopped before its end: not required
    verdict: verdict.Verdict
    generated_at: str
    versions: dict[str, str]  # package -> version, and python
    features: list[Column]
    backends: list[Row]
    cells: list[Cell]  # row by row in profile order, columns in feature order
    readiness: list[readiness.AgentReadiness]
    mocked_vs_live: list[agreement.Comparison]

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"interrupted"} if self.interrupted is None else set())

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        return cls.model_json_schema(mode="serialization")

    def cell(self, backend: str, feature: str) -> Cell | None:
        return self._by_key.get((backend, feature))

    @cached_property
    def _by_key(self) -> dict[tuple[str, str], Cell]:
        return {(c.backend, c.feature): c for c in self.cells}

    @property
    def feature_ids(self) -> list[str]:
        return [f.id for f in self.features]

    def differing(self) -> list[Cell]:
        return [c for c in self.cells if not c.as_expected]


def build(
    matrix: Matrix,
    *,
    agents: Sequence[readiness.AgentSpec] = (),
    baseline: dict[str, Any] | None = None,
    interrupted: bool = False,
    failed: bool = False,
    fail_not_ready: bool = False,
    defined_backends: Collection[str] = (),
) -> tuple[Report, diff.Diff | None]:
    """The report of ``matrix``, and its diff against ``baseline`` (None without one).

    ``defined_backends``: every row the profiles define, selected or not: the diff lists a baseline row this
    session left out as not run, not as removed.
    ``failed``: the session failed for any reason so far (a differing cell, a strict wire, servers that tried
    to reach off the machine); a loss against the baseline fails the report too, and the caller's session.
    """
    present = set(matrix.features)
    cells = matrix.ordered()
    rows = [
        Row(
            name=name,
            family=p.family,
            api=p.api,
            model=p.model,
            tier=p.tier,
            version=matrix.versions.get(name, p.version),
            description=p.description,
        )
        for name, p in matrix.profiles.items()
        if name in matrix.backends
    ]
    agent_readiness = [readiness.of_agent(agent, matrix) for agent in agents]
    versions = package_versions()
    found = None
    if baseline is not None:
        # A row is compared with a baseline that has rows of its tier: live rows meet a mocked baseline in
        # mocked_vs_live instead (a baseline from before rows had tiers compares every row).
        tiers = {b.get("tier") for b in baseline.get("backends", []) if isinstance(b, dict)} - {None}
        other_tier = [name for name in matrix.backends if tiers and matrix.profiles[name].tier not in tiers]
        now = [
            {"backend": c.backend, "feature": c.feature, "outcome": c.outcome.value, "reason": c.reason}
            for c in cells
            if c.backend not in other_tier
        ]
        found = diff.left_out(
            diff.compare(baseline, {"cells": now, "versions": versions}),
            defined_backends,
            {f.id for f in FEATURES},
        )
        found.other_tier = other_tier
    report = Report(
        interrupted=Interrupted(reason="stopped by Ctrl-C or SIGTERM", cells=len(cells)) if interrupted else None,
        verdict=verdict.build(cells, agent_readiness, found, failed=failed, fail_not_ready=fail_not_ready),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        versions=versions,
        features=[Column(id=f.id, short=f.short, verifies=f.verifies) for f in FEATURES if f.id in present],
        backends=rows,
        cells=cells,
        readiness=agent_readiness,
        mocked_vs_live=agreement.compare(matrix, baseline),
    )
    return report, found
