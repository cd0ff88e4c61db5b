"""pytest-xdist: each worker sends the cells it recorded, and the controller merges them into its matrix,
so verdicts, the matrix and the reports cover every worker.

The plugin asks ``sent_by`` of every finished worker, in any project's xdist run: this module costs nothing
to import, and a cell's model is imported only by ``merge``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

    from ..judging.matrix import Matrix

KEY = "agents_compat"  # the session's entry in a worker's workeroutput


def send(config: pytest.Config, matrix: Matrix, outbound: str) -> None:
    """On a worker, at session finish: its cells, the models its URL rows were told, its versions, its outbound."""
    if not matrix.cells:
        return
    config.workeroutput[KEY] = {  # type: ignore[attr-defined]
        "cells": [cell.to_json() for cell in matrix.cells.values()],
        "models": {name: matrix.profiles[name].model for name in matrix.backends},
        "versions": matrix.versions,
        "outbound": outbound,
    }


def sent_by(node: Any) -> dict[str, Any] | None:
    """What a finished worker sent, if anything (cheap: the controller may never have started a session)."""
    sent: dict[str, Any] | None = getattr(node, "workeroutput", {}).get(KEY)
    return sent or None


def merge(matrix: Matrix, sent: dict[str, Any]) -> str:
    """A worker's cells into the controller's matrix; returns the worker's outbound attempts, rendered."""
    from ..outcomes import Cell

    for data in sent["cells"]:
        cell = Cell.from_json(data)
        profile = matrix.profiles[cell.backend]
        if sent["models"].get(cell.backend, profile.model) != profile.model:  # a URL profile's model_env
            profile = profile.model_copy(update={"model": sent["models"][cell.backend]})
        matrix.add(profile, cell)
    matrix.versions.update(sent["versions"])
    return str(sent["outbound"])
