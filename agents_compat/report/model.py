"""The session's report: one model, built once at session finish (agents_compat/report/build.py), that every
output renders and every reader of a saved report gets back (agents_compat/report/reader.py).

The terminal summary, Markdown, HTML and the JSON file (its dump, ``Report.to_json``) all take a
``Report``; JUnit properties take its ``Cell``. The JSON schema is ``Report.json_schema()``, kept as
docs/compat-matrix.schema.json for readers of the file.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict

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
