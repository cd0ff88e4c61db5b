"""The capability matrix as a session collects it: every cell, the rows that produced them, server versions.

At session finish agents_compat/report/build.py builds the report from it; renderers never read a ``Matrix``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config.features import FEATURE_IDS
from ..config.profiles import Profile
from ..outcomes import Cell, Observation


@dataclass
class Matrix:
    profiles: dict[str, Profile] = field(default_factory=dict)  # rows, in insertion order
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    runs: dict[tuple[str, str], list[Observation]] = field(default_factory=dict)  # repeated live cells
    versions: dict[str, str] = field(default_factory=dict)  # live rows: the version each server reported

    def add(self, profile: Profile, cell: Cell) -> None:
        self.profiles[profile.name] = profile  # a known row keeps its place: rows follow profiles, not test order
        self.cells[(cell.backend, cell.feature)] = cell

    def has(self, backend: str, feature: str) -> bool:
        return (backend, feature) in self.cells

    @property
    def features(self) -> list[str]:
        present = {feature for _, feature in self.cells}
        return [f for f in FEATURE_IDS if f in present]

    @property
    def backends(self) -> list[str]:
        present = {backend for backend, _ in self.cells}
        return [name for name in self.profiles if name in present]

    def ordered(self) -> list[Cell]:
        """Row by row in profile order, each row's cells in feature order: the report's order."""
        rows = {name: index for index, name in enumerate(self.profiles)}
        return [self.cells[key] for key in sorted(self.cells, key=lambda k: (rows[k[0]], FEATURE_IDS.index(k[1])))]
