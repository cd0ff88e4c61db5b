"""Outcomes of one (backend, feature) cell, and the evidence each cell carries."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any


class Outcome(enum.StrEnum):
    SUPPORTED = "supported"  # works, and the wire shows the backend honored it
    UNSUPPORTED = "unsupported"  # refused with a clear 4xx error and message
    IGNORED = "ignored"  # accepted but silently not honored
    BROKEN = "broken"  # answered something the SDK cannot consume, or the SDK crashed on it
    INCONCLUSIVE = "inconclusive"  # live only: the model was too weak to show it either way
    ERROR = "error"  # infrastructure failed: could not start, connect, or timed out
    SKIPPED = "skipped"  # not applicable to this profile


SYMBOLS: dict[Outcome, str] = {
    Outcome.SUPPORTED: "ok",
    Outcome.UNSUPPORTED: "no",
    Outcome.IGNORED: "ign",
    Outcome.BROKEN: "BRK",
    Outcome.INCONCLUSIVE: "?",
    Outcome.ERROR: "ERR",
    Outcome.SKIPPED: "-",
}


@dataclass(frozen=True)
class Observation:
    """What a classifier concluded from one run: the outcome and a one-line reason.

    ``model_missed``: the model, not the backend, fell short (no call to an offered tool, an answer that does
    not use the result). The classifier cannot tell a weak model from a backend that dropped the feature;
    the tier can, and ``on_tier`` is that one rule, applied by the ``judge`` fixture.
    """

    outcome: Outcome
    reason: str
    model_missed: bool = False

    def on_tier(self, tier: str) -> Observation:
        """Live: a model's miss shows nothing either way (inconclusive). Mocked: the emulator's scripted model
        always cooperates with a backend that honours the feature, so a miss is the backend ignoring it."""
        if self.model_missed and tier == "live":
            return Observation(Outcome.INCONCLUSIVE, self.reason, model_missed=True)
        return self


@dataclass
class Cell:
    """One matrix cell: the observation, what the profile declared, and the captured exchange."""

    backend: str
    feature: str
    tier: str
    outcome: Outcome
    reason: str
    expected: Outcome | None
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    strict: list[str] = field(default_factory=list)  # deviations from the published OpenAI types
    runs: dict[str, Any] | None = None  # a repeated live cell: total, supported, outcomes
    server_logs: str = ""  # a launched server's log tail, for a failed live cell

    @property
    def as_expected(self) -> bool:
        """Observed what the profile declares; an undeclared cell passes, unless it is an error.

        An error is infrastructure failing (a closed port, a rejected key), never a capability answer:
        green only where the profile declares ``error`` for that feature.
        """
        if self.expected is None:
            return self.outcome is not Outcome.ERROR
        return self.expected == self.outcome

    def to_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "feature": self.feature,
            "tier": self.tier,
            "outcome": self.outcome.value,
            "expected": self.expected.value if self.expected else None,
            "as_expected": self.as_expected,
            "reason": self.reason,
            "strict": self.strict,
            "runs": self.runs,
            "server_logs": self.server_logs,
            "seconds": round(self.seconds, 4),
            "exchanges": self.exchanges,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cell:
        """The inverse of ``to_json``: pytest-xdist workers hand their cells to the controller this way."""
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["outcome"] = Outcome(values["outcome"])
        values["expected"] = Outcome(values["expected"]) if values.get("expected") else None
        return cls(**values)


# The ``judge`` fixture a scenario gets (harness/plugin.py): it records the cell for the observation.
Judge = Callable[[Observation], Cell]
