"""The report of a session: its matrix, its agents' readiness and the baseline it is held against, built once
at session finish into the one model every output renders (agents_compat/report/model.py)."""

from __future__ import annotations

import platform
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from ..config.features import FEATURES
from ..judging import agreement, readiness, verdict
from ..judging.matrix import Matrix
from . import diff
from .model import Column, Interrupted, Report, Row


def package_versions() -> dict[str, str]:
    found = {}
    for name in ("openai-agents", "openai", "httpx", "respx", "pytest"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    found["python"] = platform.python_version()
    return found


def build(
    matrix: Matrix,
    *,
    agents: Sequence[readiness.AgentSpec] = (),
    baseline: Report | None = None,
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
        # mocked_vs_live instead (a baseline without rows compares every row).
        tiers = {b.tier for b in baseline.backends}
        other_tier = [name for name in matrix.backends if tiers and matrix.profiles[name].tier not in tiers]
        now = [c for c in cells if c.backend not in other_tier]
        found = diff.left_out(
            diff.compare_cells(baseline.cells, now, baseline.versions, versions),
            defined_backends,
            {f.id for f in FEATURES},
        )
        found.other_tier = other_tier
    report = Report(
        interrupted=Interrupted(reason="stopped by Ctrl-C or SIGTERM", cells=len(cells)) if interrupted else None,
        verdict=verdict.build(
            cells, agent_readiness, found.lost if found else None, failed=failed, fail_not_ready=fail_not_ready
        ),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        versions=versions,
        features=[Column(id=f.id, short=f.short, verifies=f.verifies) for f in FEATURES if f.id in present],
        backends=rows,
        cells=cells,
        readiness=agent_readiness,
        mocked_vs_live=agreement.compare(matrix, baseline.cells if baseline else ()),
    )
    return report, found
