"""The ``judge`` fixture's work: a scenario's observation made a cell of the matrix, and the test's verdict.

A scenario hands over its observation only: the cell keeps the exchanges of the backend's runs and calls
(``Backend.records``). The one live/mocked rule is applied here (``Observation.on_tier``): a classifier
never knows the tier. A repeated live cell records each run; the last run folds them (agents_compat/judging/repeat.py)
and judges that.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from ..config.features import BY_ID as FEATURES_BY_ID
from ..config.profiles import Profile
from ..judging import repeat
from ..judging.strict import cell_deviations
from ..outcomes import Cell, Observation, Outcome
from ..report import junit, terminal
from ..running.backend import Backend
from .connect import NOT_ANSWERING_KEY

if TYPE_CHECKING:
    from .state import CompatSession


def judge_for(
    request: pytest.FixtureRequest,
    session: CompatSession,
    backend: Backend,
    compat_run: tuple[int, int],
    record_property: Callable[[str, Any], None],
) -> Callable[..., Cell]:
    """Record the cell for this (backend, feature) and fail if it differs from the profile's declaration."""
    feature = request.node.get_closest_marker("feature").args[0]
    profile = backend.profile
    run, runs = compat_run
    started = time.perf_counter()

    def verdict(observation: Observation) -> Cell:
        observation = observation.on_tier(profile.tier)
        not_answering = request.node.stash.get(NOT_ANSWERING_KEY, None)
        if not_answering and observation.outcome is not Outcome.SKIPPED:  # its requests were never sent
            observation = Observation(Outcome.ERROR, not_answering)
        history = session.matrix.runs.setdefault((profile.name, feature), [])
        history.append(observation)
        if runs > 1:
            observation = repeat.fold(history)
        exchanges = [e for record in backend.records for e in record.exchanges]
        cell = session.record(
            profile,
            feature,
            observation,
            exchanges=[e.to_json() for e in exchanges],
            seconds=time.perf_counter() - started,
            strict=cell_deviations(exchanges),
            runs=repeat.stats(history) if runs > 1 else None,
            server_logs=_logs_if_failed(backend, observation.outcome),
            allowed=_allowance(request.config, profile, feature) if observation.outcome is Outcome.INCONCLUSIVE else "",
        )
        for name, value in junit.properties(cell):
            record_property(name, value)
        if run + 1 < runs:  # judged once, on the folded outcome of the last run
            return cell
        if cell.unconfirmed and not cell.allowed:
            # Declared an answer, shown none: a weak model, or a backend that dropped what would show it.
            pytest.fail(terminal.failure_message(cell), pytrace=False)
        if cell.outcome is Outcome.INCONCLUSIVE and not cell.as_expected:
            # The model, not the backend, fell short: neither a pass nor a protocol failure.
            pytest.xfail(f"inconclusive: {cell.reason}")
        if not cell.as_expected:
            pytest.fail(terminal.failure_message(cell), pytrace=False)
        if profile.strict == "clean" and cell.strict:
            pytest.fail(terminal.strict_failure_message(cell), pytrace=False)
        return cell

    return verdict


def not_applicable(pyfuncitem: pytest.Function) -> bool | None:
    """A feature that does not apply to this row (agents_compat/config/features.py): its cell is skipped, its scenario
    never runs (True: the call is done)."""
    judge, backend = pyfuncitem.funcargs.get("judge"), pyfuncitem.funcargs.get("backend")
    marker = pyfuncitem.get_closest_marker("feature")
    if not callable(judge) or not isinstance(backend, Backend) or marker is None:
        return None
    why = FEATURES_BY_ID[marker.args[0]].not_applicable(backend.profile.api, backend.profile.model)
    if why is None:
        return None
    judge(Observation(Outcome.SKIPPED, why))
    return True


def _allowance(config: pytest.Config, profile: Profile, feature: str) -> str:
    """Why an unconfirmed cell of this row may only warn: the profile's reason, or the flag; "" if it fails."""
    if feature in profile.unconfirmed:
        return profile.unconfirmed[feature]
    return "--compat-allow-unconfirmed" if config.getoption("compat_allow_unconfirmed") else ""


def _logs_if_failed(backend: Backend, outcome: Outcome) -> str:
    """A launched server's log tail, kept with the cell when the infrastructure or the protocol failed."""
    if backend.server_logs is None or outcome not in (Outcome.ERROR, Outcome.BROKEN):
        return ""
    return backend.server_logs()
