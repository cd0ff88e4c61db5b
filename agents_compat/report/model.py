"""The session's report: one model, built once at session finish (agents_compat/report/build.py), that every
output renders and every reader of a saved report gets back (agents_compat/report/reader.py).

The terminal summary, Markdown, HTML and the JSON file (its dump, ``Report.to_json``) all take a
``Report``; JUnit properties take its ``Cell``. The JSON schema is ``Report.json_schema()``, kept as
docs/compat-matrix.schema.json for readers of the file.

A report merged from several runs (agents_compat/report/merge.py) is the same model with two more keys:
``sources``, the runs it was made from, and ``cell_runs``, each cell's outcome in every run that had it.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from ..judging import agreement, readiness, verdict
from ..outcomes import Cell


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
    (each with the server version it reported) and its columns."""

    run: str  # a digest of the run's report: the same run merged twice is one source
    generated_at: str
    versions: dict[str, str]
    verdict: verdict.Verdict
    interrupted: Interrupted | None
    features: list[Column]
    backends: list[Row]


class RunCell(_Part):
    """A cell as one run observed it; ``cell`` is None for the run whose cell is the report's own (``cells``),
    which is kept once."""

    run: str
    cell: Cell | None


class CellRuns(_Part):
    """Every run's observation of one (backend, feature), oldest run first."""

    backend: str
    feature: str
    runs: list[RunCell]


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
    def _runs_name_sources(self) -> Report:
        """A merged report's cell runs each name one of its sources, and each cell's own run exactly once."""
        if (self.sources is None) != (self.cell_runs is None):
            raise ValueError("a merged report has both sources and cell_runs, or neither")
        if self.cell_runs is None or self.sources is None:
            return self
        known = {s.run for s in self.sources}
        keys = {(c.backend, c.feature) for c in self.cells}
        for entry in self.cell_runs:
            unknown = [r.run for r in entry.runs if r.run not in known]
            own = sum(1 for r in entry.runs if r.cell is None)
            if unknown or own != 1 or (entry.backend, entry.feature) not in keys:
                why = (
                    f"run {unknown[0]} is not a source"
                    if unknown
                    else "not exactly one run is the cell's own"
                    if own != 1
                    else "no such cell in cells"
                )
                raise ValueError(f"cell_runs {entry.backend} / {entry.feature}: {why}")
        return self

    def to_json(self) -> dict[str, Any]:
        unset = {"interrupted", "sources", "cell_runs"}
        return self.model_dump(mode="json", exclude={key for key in unset if getattr(self, key) is None})

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

    @property
    def merged(self) -> bool:
        return self.sources is not None
