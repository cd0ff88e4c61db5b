"""The session's report: one model, built once at session finish (agents_compat/report/build.py), that every
output renders and every reader of a saved report gets back (agents_compat/report/reader.py).

The terminal summary, Markdown, HTML and the JSON file (its dump, ``Report.to_json``) all take a
``Report``; JUnit properties take its ``Cell``. The JSON schema is ``Report.json_schema()``, kept as
docs/compat-matrix.schema.json for readers of the file.

A report merged from several runs (agents_compat/report/merge.py) is the same model with two more keys:
``sources``, the runs it was made from (each with its own cells and their evidence), and ``cell_runs``, each
cell's outcome in every run that had it.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from ..judging import agreement, readiness, verdict
from ..outcomes import Cell, Outcome


class _Part(BaseModel):
    # Every key is written, defaults too: the schema says so (a reader need not guess a default).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class Interrupted(_Part):
    reason: str
    cells: int


class Column(_Part):
    """A feature column: its id, its narrow header and what its scenario verifies (agents_compat/config/features.py)."""

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


class Source(_Part):
    """One run a merged report was made from: its id, when and with what it ran, its own verdict, its rows
    (each with the server version it reported), its columns and its cells, evidence included."""

    run: str  # a digest of the run's report: the same run merged twice is one source
    generated_at: str
    versions: dict[str, str]
    verdict: verdict.Verdict
    interrupted: Interrupted | None
    features: list[Column]
    backends: list[Row]
    cells: list[Cell]


class CellRuns(_Part):
    """One (backend, feature) of a merged report: its outcome in every run that had it (run id -> outcome),
    oldest run first. The run's own cell, with its evidence, is in that source's ``cells``."""

    backend: str
    feature: str
    outcomes: dict[str, Outcome]


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
    # Only in a merged report (agents_compat/report/merge.py): not required, not written for one run.
    sources: list[Source] | None = None
    cell_runs: list[CellRuns] | None = None

    @model_validator(mode="after")
    def _runs_are_the_sources(self) -> Report:
        """A merged report's per-cell outcomes are its sources' cells: the same runs, the same outcomes."""
        if (self.sources is None) != (self.cell_runs is None):
            raise ValueError("a merged report has both sources and cell_runs, or neither")
        if self.cell_runs is None or self.sources is None:
            return self
        observed: dict[tuple[str, str], dict[str, Outcome]] = {}
        for source in self.sources:
            for c in source.cells:
                observed.setdefault((c.backend, c.feature), {})[source.run] = c.outcome
        listed = {(e.backend, e.feature): e.outcomes for e in self.cell_runs}
        for key in listed.keys() | observed.keys() | {(c.backend, c.feature) for c in self.cells}:
            if key not in observed or listed.get(key) != observed[key]:
                raise ValueError(f"cell_runs {key[0]} / {key[1]}: the outcomes per run are not its sources' cells")
        return self

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude=self._unset())

    def json_text(self) -> str:
        """``to_json`` as compact JSON text, serialized in one pass (a merged report of a long history is large)."""
        return self.model_dump_json(exclude=self._unset())

    def _unset(self) -> set[str]:
        return {key for key in ("interrupted", "sources", "cell_runs") if getattr(self, key) is None}

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

    @cached_property
    def derived(self) -> dict[str, Any]:
        """Views a reader computes from this report once and reuses (agents_compat/report/merge.py's per-cell
        observations): not part of the report, never written."""
        return {}
