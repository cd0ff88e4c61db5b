"""The report in pytest's JUnit XML: each cell's test case carries the cell as properties, so CI tools can
read the matrix from the XML alone."""

from __future__ import annotations

from ..outcomes import Cell
from ..wire.inert import inert


def properties(cell: Cell) -> list[tuple[str, str]]:
    """The cell as JUnit properties, so CI tools can read the matrix from the XML alone."""
    return [
        ("backend", inert(cell.backend)),  # a file's name and a backend's words: nothing a reader obeys
        ("feature", cell.feature),
        ("outcome", cell.outcome.value),
        ("expected", cell.expected.value if cell.expected else ""),
        ("reason", inert(cell.reason)),
    ]
