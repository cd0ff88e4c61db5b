"""The capability matrix: every cell of a session, plus what produced it (profiles, SDK versions)."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from .features import FEATURE_IDS, FEATURES
from .outcomes import Cell, Observation
from .profiles import Profile


def package_versions() -> dict[str, str]:
    found = {}
    for name in ("openai-agents", "openai", "httpx", "respx", "pytest"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    found["python"] = platform.python_version()
    return found


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

    def unexpected(self) -> list[Cell]:
        return [c for c in self.cells.values() if not c.as_expected]

    def to_json(self) -> dict[str, Any]:
        return {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": package_versions(),
            "features": [
                {"id": f.id, "short": f.short, "verifies": f.verifies} for f in FEATURES if f.id in self.features
            ],
            "backends": [
                {
                    "name": p.name,
                    "family": p.family,
                    "api": p.api,
                    "model": p.model,
                    "tier": p.tier,
                    "version": self.versions.get(name, p.version),
                    "description": p.description,
                }
                for name, p in self.profiles.items()
                if name in self.backends
            ],
            "cells": [self.cells[key].to_json() for key in sorted(self.cells, key=self._order)],
        }

    def _order(self, key: tuple[str, str]) -> tuple[int, int]:
        names = list(self.profiles)
        return names.index(key[0]), FEATURE_IDS.index(key[1])
