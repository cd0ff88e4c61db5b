"""Many runs, one report: ``merge(reports)`` makes one ``Report`` of shards (by backend, tier or SDK version)
and of repeated runs, keeping where every cell came from.

Each input run becomes a *source* (its id, ``generated_at``, package versions, own verdict, rows with their
servers' versions, and its cells with their evidence). ``cell_runs`` lists each cell's outcome per run; the
report's own cell, the one the grid shows, is the run with the newest openai-agents, then the latest. A merged
report merged again gives its sources back, and a run is identified by a digest of its report, so merging is
associative and the same run given twice counts once.

The merged verdict fails when any input run's own verdict failed (an interrupted run included), or when a
declared cell *disagrees*: runs with the same openai-agents, openai and server versions observed different
outcomes. Different outcomes across SDK versions are the SDK axis (``sdk_changes``), judged by each run
against its own SDK's declarations; undeclared cells that disagree are shown, not judged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from ..judging import verdict as verdicts
from ..outcomes import Cell, Change, Outcome
from .model import CellRuns, Column, Report, Row, Source

SDK = "openai-agents"
Key = tuple[str, str]


def run_id(report: Report) -> str:
    """A single run's id: a digest of what identifies its report (file layout does not matter): when it ran, with
    what, its rows' server versions and every cell's outcome, declaration, reason, time and evidence count.
    Two runs share these only if they ran in the same second on the same versions and observed the same, to
    each cell's reason and time; the exchanges are left out, as hashing them would cost a full dump of every
    report (benchmarks/bench_merge.py)."""
    rows = [(r.name, r.tier, r.version) for r in report.backends]
    cells = [
        (c.backend, c.feature, c.outcome.value, c.expected.value if c.expected else None, c.reason, round(c.seconds, 4),
         len(c.exchanges), c.strict, c.allowed)
        for c in report.cells
    ]  # fmt: skip
    what = [report.generated_at, sorted(report.versions.items()), report.interrupted is not None, rows, cells]
    text = json.dumps(what, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def sdk_version(versions: dict[str, str]) -> Version | None:
    try:
        return Version(versions.get(SDK, ""))
    except InvalidVersion:
        return None


def sdk_label(versions: dict[str, str]) -> str:
    """The SDK a run used, as the reports name it: openai-agents and the openai it ran with."""
    return f"{SDK} {versions.get(SDK, '?')}, openai {versions.get('openai', '?')}"


def _source(report: Report) -> Source:
    # Its parts were validated as the report's: constructed, not validated again.
    return Source.model_construct(
        run=run_id(report),
        generated_at=report.generated_at,
        versions=report.versions,
        verdict=report.verdict,
        interrupted=report.interrupted,
        features=report.features,
        backends=report.backends,
        cells=report.cells,
    )


def runs_of(report: Report) -> list[Source]:
    """A report's runs: itself for a single run, its sources for a merged report."""
    return [_source(report)] if report.sources is None else list(report.sources)


def _newest(source: Source) -> tuple[Version, str, str]:
    return sdk_version(source.versions) or Version("0"), source.generated_at, source.run


def _ordered(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _versions(sources: Sequence[Source]) -> dict[str, str]:
    """Every package's versions across the runs, e.g. ``openai-agents: 0.17.0, 0.24.0``."""
    names = _ordered(name for s in sources for name in s.versions)

    def order(value: str) -> tuple[int, Version | str]:
        try:
            return 0, Version(value)
        except InvalidVersion:
            return 1, value

    merged = {}
    for name in names:
        values = {s.versions[name] for s in sources if name in s.versions}
        merged[name] = ", ".join(sorted(values, key=order))
    return merged


@dataclass(frozen=True, slots=True)
class Seen:
    """One run's observation of a cell, with the run it came from, its SDK and the backend's server version."""

    source: Source
    cell: Cell
    sdk: str
    server: str | None


def observations(report: Report) -> dict[Key, list[Seen]]:
    """Every cell's observations, oldest run first (one per cell for a report that was never merged); computed
    once per report."""
    found: dict[Key, list[Seen]] | None = report.derived.get("observations")
    if found is not None:
        return found
    found = {}
    for source in runs_of(report):
        sdk = sdk_label(source.versions)
        servers = {row.name: row.version for row in source.backends}
        for cell in source.cells:
            seen = Seen(source, cell, sdk, servers.get(cell.backend))
            found.setdefault((cell.backend, cell.feature), []).append(seen)
    report.derived["observations"] = found
    return found


def disagreements(report: Report) -> dict[Key, list[Seen]]:
    """Cells that runs with the same SDK and server versions observed differently: every such run of the cell."""
    found: dict[Key, list[Seen]] = {}
    for key, seen in observations(report).items():
        groups: dict[tuple[str, str | None], list[Seen]] = {}
        for s in seen:
            groups.setdefault((s.sdk, s.server), []).append(s)
        odd = [s for group in groups.values() if len({s.cell.outcome for s in group}) > 1 for s in group]
        if odd:
            found[key] = odd
    return found


@dataclass(frozen=True)
class Group:
    """The runs of one cell that observed the same outcome, oldest first (a long history shows as a few lines)."""

    outcome: str
    runs: list[Seen]

    def text(self) -> str:
        """``broken in 3 runs (last abc123: its reason)``, or ``broken in run abc123: its reason``."""
        last = self.runs[-1]
        count = f"{len(self.runs)} runs (last {last.source.run}" if len(self.runs) > 1 else f"run {last.source.run}"
        close = ")" if len(self.runs) > 1 else ""
        return f"{self.outcome} in {count}{close}: {last.cell.reason}"


def groups(seen: Sequence[Seen]) -> list[Group]:
    found: dict[str, list[Seen]] = {}
    for s in seen:
        found.setdefault(s.cell.outcome.value, []).append(s)
    return [Group(outcome, runs) for outcome, runs in found.items()]


@dataclass(frozen=True)
class SdkChange:
    """A cell whose outcome differs between SDK versions: per SDK, oldest first, its distinct outcomes (the first
    run's cell of each)."""

    backend: str
    feature: str
    by_sdk: list[tuple[str, list[Seen]]]


def sdk_versions(report: Report) -> list[str]:
    """The SDKs the runs used, oldest first."""
    ordered = sorted(runs_of(report), key=_newest)
    return _ordered(sdk_label(s.versions) for s in ordered)


def sdk_changes(report: Report) -> list[SdkChange]:
    """What an SDK upgrade changes: each cell, per backend and feature, whose outcomes differ between SDK versions."""
    order = {label: i for i, label in enumerate(sdk_versions(report))}
    changes = []
    for (backend, feature), seen in observations(report).items():
        per_sdk: dict[str, dict[str, Seen]] = {}
        for s in seen:
            per_sdk.setdefault(s.sdk, {}).setdefault(s.cell.outcome.value, s)
        if len(per_sdk) < 2 or len({frozenset(outcomes) for outcomes in per_sdk.values()}) < 2:
            continue
        by_sdk = [(label, list(per_sdk[label].values())) for label in sorted(per_sdk, key=order.__getitem__)]
        changes.append(SdkChange(backend, feature, by_sdk))
    return changes


def _verdict(sources: Sequence[Source], cells: Sequence[Cell], report: Report) -> verdicts.Verdict:
    def union(lists: Iterable[list[str]]) -> list[str]:
        return _ordered(item for items in lists for item in items)

    failed = [
        f"{s.run} ({s.generated_at}, {sdk_label(s.versions)}): "
        + ("interrupted; " if s.interrupted else "")
        + verdicts.line(s.verdict)
        for s in sources
        if s.interrupted or not s.verdict.passed
    ]
    disagreeing = []
    for (backend, feature), seen in disagreements(report).items():
        if any(s.cell.expected is not None for s in seen):
            outcomes = "; ".join(
                f"{g.outcome} in " + (f"{len(g.runs)} runs" if len(g.runs) > 1 else f"run {g.runs[0].source.run}")
                for g in groups(seen)
            )
            disagreeing.append(f"{backend} / {feature}: {outcomes} ({seen[0].sdk}, server {seen[0].server or '?'})")
    lost: dict[tuple[str, str, str, str], Change] = {}
    for s in sources:
        for change in s.verdict.lost:
            lost.setdefault((change.backend, change.feature, change.old, change.new), change)
    return verdicts.Verdict(
        passed=not failed and not disagreeing,
        cells=len(cells),
        differing=union(s.verdict.differing for s in sources),
        inconclusive=union(s.verdict.inconclusive for s in sources),
        unconfirmed=union(s.verdict.unconfirmed for s in sources),
        allowed=union(s.verdict.allowed for s in sources),
        baseline=any(s.verdict.baseline for s in sources),
        lost=list(lost.values()),
        not_ready=union(s.verdict.not_ready for s in sources),
        not_ready_fails=any(s.verdict.not_ready_fails for s in sources),
        failed_runs=failed,
        disagreeing=disagreeing,
    )


def merge(reports: Sequence[Report]) -> Report:
    """One report of every run in ``reports`` (single runs or merged reports), each run once."""
    runs: dict[str, Source] = {}
    for report in reports:
        for source in runs_of(report):
            runs.setdefault(source.run, source)
    if not runs:
        raise ValueError("merge: no reports given")
    sources = sorted(runs.values(), key=lambda s: (s.generated_at, s.run))
    columns: dict[str, Column] = {}
    rows: dict[str, Row] = {}
    for source in sources:  # the latest run's row and column win
        columns.update((c.id, c) for c in source.features)
        rows.update((r.name, r) for r in source.backends)
    column_order = _ordered(c.id for s in sources for c in s.features)
    row_order = _ordered(r.name for s in sources for r in s.backends)
    shown: dict[Key, Cell] = {}
    outcomes: dict[Key, dict[str, Outcome]] = {}
    for source in sorted(sources, key=_newest):  # newest last: its cell is the one shown
        for cell in source.cells:
            shown[(cell.backend, cell.feature)] = cell
    for source in sources:  # oldest first
        for cell in source.cells:
            outcomes.setdefault((cell.backend, cell.feature), {})[source.run] = cell.outcome
    keys = [(b, f) for b in row_order for f in column_order if (b, f) in shown]
    placeholder = verdicts.Verdict(
        passed=True, cells=0, differing=[], inconclusive=[], baseline=False, lost=[], not_ready=[],
        not_ready_fails=False,
    )  # fmt: skip
    # Built from validated parts: constructed, not validated again (a long history has many cells).
    merged = Report.model_construct(
        verdict=placeholder,
        generated_at=max(s.generated_at for s in sources),
        versions=_versions(sources),
        features=[columns[c] for c in column_order],
        backends=[rows[r] for r in row_order],
        cells=[shown[key] for key in keys],
        readiness=[],
        mocked_vs_live=[],
        sources=sources,
        cell_runs=[CellRuns.model_construct(backend=b, feature=f, outcomes=outcomes[(b, f)]) for b, f in keys],
    )
    merged.verdict = _verdict(sources, merged.cells, merged)
    return merged
