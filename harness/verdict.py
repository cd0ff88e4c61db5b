"""The line every report starts with, so a CI page says at once whether the run passed and why not.

``compat: FAIL: 260 cells, 2 differ from their profiles, 1 lost against the baseline, 1 NOT READY``, then
the lost cells, one line each. Built once, at session end, from the report and the baseline diff; the
terminal, JSON (``verdict``), Markdown, HTML and the GitHub step summary all show the same.
"""

from __future__ import annotations

from typing import Any

from .diff import Diff
from .readiness import NOT_READY


def build(report: dict[str, Any], found: Diff | None, *, failed: bool, fail_not_ready: bool) -> dict[str, Any]:
    """``failed``: the session failed for any reason (a differing cell, a strict wire, a loss, ...)."""
    differing = [f"{c['backend']} / {c['feature']}" for c in report["cells"] if not c["as_expected"]]
    lost = [
        {"backend": c.backend, "feature": c.feature, "old": c.old, "new": c.new, "reason": c.reason}
        for c in (found.lost if found else [])
    ]
    not_ready = [
        f"{entry['agent']} on {b['backend']}"
        for entry in report.get("readiness", [])
        for b in entry["backends"]
        if b["verdict"] == NOT_READY
    ]
    return {
        "passed": not (failed or differing or lost or (fail_not_ready and not_ready)),
        "cells": len(report["cells"]),
        "differing": differing,
        "baseline": found is not None,
        "lost": lost,
        "not_ready": not_ready,
        "not_ready_fails": fail_not_ready,
    }


def line(verdict: dict[str, Any]) -> str:
    parts = [f"{verdict['cells']} cells", f"{len(verdict['differing'])} differ from their profiles"]
    parts.append(f"{len(verdict['lost'])} lost against the baseline" if verdict["baseline"] else "no baseline")
    not_ready = verdict["not_ready"]
    parts.append(f"{len(not_ready)} NOT READY" + (f" ({', '.join(not_ready)})" if not_ready else ""))
    return f"compat: {'PASS' if verdict['passed'] else 'FAIL'}: {', '.join(parts)}"


def lost_lines(verdict: dict[str, Any]) -> list[str]:
    return [f"lost: {c['backend']} / {c['feature']}: {c['old']} -> {c['new']} ({c['reason']})" for c in verdict["lost"]]
