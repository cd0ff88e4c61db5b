"""Repeated live cells: k runs of one scenario folded into one outcome with its pass rate.

The rule (docs/live-tier.md, "Repeated live runs"):
- every run has the same outcome: that outcome;
- only supported and inconclusive runs: supported, "supported in i of k runs" (one run the wire shows
  honoured is the backend's answer; the model missed the others). So a cell declared supported is kept by
  any of its k runs, and only one inconclusive in all k is unconfirmed (agents_compat/judging/verdict.py);
- any run with a protocol outcome (unsupported, ignored, broken, error): the most frequent of those
  (ties go to the more serious: broken, error, unsupported, ignored), whatever the other runs did.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..outcomes import Observation, Outcome

SERIOUSNESS = (Outcome.BROKEN, Outcome.ERROR, Outcome.UNSUPPORTED, Outcome.IGNORED)


def fold(runs: list[Observation]) -> Observation:
    counts = Counter(run.outcome for run in runs)
    total = len(runs)
    if len(counts) == 1:
        outcome = runs[-1].outcome
        return Observation(outcome, runs[-1].reason if total == 1 else f"{total} of {total} runs: {runs[-1].reason}")
    protocol = [o for o in SERIOUSNESS if counts[o]]
    if not protocol:  # supported and inconclusive only
        supported = counts[Outcome.SUPPORTED]
        missed = next(r for r in runs if r.outcome is Outcome.INCONCLUSIVE)
        shown = next(r for r in runs if r.outcome is Outcome.SUPPORTED)
        return Observation(
            Outcome.SUPPORTED,
            f"supported in {supported} of {total} runs ({shown.reason}); the model missed the rest: {missed.reason}",
        )
    worst = max(protocol, key=lambda o: (counts[o], -SERIOUSNESS.index(o)))
    example = next(r for r in runs if r.outcome is worst)
    return Observation(worst, f"{worst.value} in {counts[worst]} of {total} runs: {example.reason}")


def stats(runs: list[Observation]) -> dict[str, Any]:
    counts = Counter(run.outcome.value for run in runs)
    return {"total": len(runs), "supported": counts.get(Outcome.SUPPORTED.value, 0), "outcomes": dict(counts)}
