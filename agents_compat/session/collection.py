"""Collection: each scenario parametrized with one ``backend`` per row, and a named row that -m left out."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import pytest

from ..config.features import FEATURE_IDS
from ..config.profiles import Profile


def parametrize(metafunc: pytest.Metafunc, profiles: Sequence[Profile], repeat: int) -> None:
    """A scenario once per row (a live row ``repeat`` times), marked with the row's tier."""
    marker = metafunc.definition.get_closest_marker("feature")
    if marker is None or not marker.args or marker.args[0] not in FEATURE_IDS:
        known = ", ".join(FEATURE_IDS)
        where = metafunc.definition.nodeid
        raise pytest.UsageError(f"{where}: a scenario needs @pytest.mark.feature(<one of {known}>)")
    params = []
    for profile in profiles:
        runs = repeat if profile.tier == "live" else 1  # emulators are deterministic: once is enough
        for run in range(runs):
            label = profile.name if runs == 1 else f"{profile.name}-run{run + 1}"
            params.append(pytest.param(profile, (run, runs), id=label, marks=[getattr(pytest.mark, profile.tier)]))
    metafunc.parametrize(("backend", "compat_run"), params, indirect=["backend"])


def check_left_out(
    config: pytest.Config, items: Sequence[pytest.Item], profiles: Sequence[Profile], explicit: Collection[str]
) -> None:
    """A row named with --backend that -m left out entirely: say so, rather than "N deselected" and exit 5."""
    if not config.option.markexpr:
        return
    callspecs = [getattr(item, "callspec", None) for item in items]
    rows = [spec.params["backend"] for spec in callspecs if spec is not None and "backend" in spec.params]
    kept = {row.name for row in rows} | {row.twin for row in rows if row.twin}  # `-m live --backend X` runs X@live
    for row in profiles:
        if row.name in explicit and row.name not in kept:
            raise pytest.UsageError(
                f"--backend {row.name}: -m {config.option.markexpr!r} leaves out this {row.tier} row: "
                f"add -m {row.tier} (or -m 'mocked or live')"
            )
