"""Whole, valid matrix reports for tests, from the few fields a test is about.

Every reader takes the report model (agents_compat/report/), which validates a file as a whole: a test that feeds a
reader fills the rest here with neutral values (no baseline, nothing differing, no readiness).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from agents_compat.config.profiles import LIVE_SUFFIX
from agents_compat.report import Report


def _tier(name: str) -> str:
    return "live" if name.endswith(LIVE_SUFFIX) else "mocked"


def report_data(
    cells: Iterable[dict[str, Any]],
    *,
    versions: dict[str, str] | None = None,
    backends: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A report's JSON: each cell needs backend, feature and outcome; rows are the cells' unless given."""
    full = [{"tier": _tier(c["backend"]), "expected": None, "reason": "", **c} for c in cells]
    rows = backends if backends is not None else [{"name": name} for name in dict.fromkeys(c["backend"] for c in full)]
    row_defaults = {"family": "custom", "api": "chat_completions", "model": "m", "version": None, "description": ""}
    verdict = {"passed": True, "cells": len(full), "differing": [], "inconclusive": [], "baseline": False}
    verdict |= {"lost": [], "not_ready": [], "not_ready_fails": False}
    return {
        "verdict": verdict,
        "generated_at": "2026-01-01T00:00:00+00:00",
        "versions": versions or {"openai-agents": "0.24.0"},
        "features": [{"id": f, "short": f, "verifies": ""} for f in dict.fromkeys(c["feature"] for c in full)],
        "backends": [{**row_defaults, "tier": _tier(str(row.get("name"))), **row} for row in rows],
        "cells": full,
        "readiness": [],
        "mocked_vs_live": [],
    }


def report_of(
    cells: Iterable[dict[str, Any]],
    *,
    versions: dict[str, str] | None = None,
    backends: list[dict[str, Any]] | None = None,
) -> Report:
    return Report.model_validate(report_data(cells, versions=versions, backends=backends))
