"""The one reader of a saved report: a Report back, or one line naming the file and what is wrong with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents_compat.config.profiles import load_profiles
from agents_compat.judging.matrix import Matrix
from agents_compat.outcomes import Cell, Outcome
from agents_compat.report import Report, ReportError, load
from agents_compat.report.build import build

BASELINE = Path(__file__).parent.parent / "fixtures" / "baseline" / "mocked.json"


def _saved(tmp_path: Path) -> tuple[Report, Path]:
    matrix = Matrix()
    cell = Cell("ollama-chat", "usage", "mocked", Outcome.IGNORED, "usage 0/0", Outcome.IGNORED, seconds=0.5)
    matrix.add(load_profiles()["ollama-chat"], cell)
    report = build(matrix)[0]
    path = tmp_path / "compat-matrix.json"
    path.write_text(json.dumps(report.to_json(), indent=2))
    return report, path


def test_a_saved_report_reads_back_as_the_model_it_was(tmp_path: Path) -> None:
    report, path = _saved(tmp_path)
    read = load(path)
    assert isinstance(read, Report) and read.to_json() == report.to_json()
    assert read.cell("ollama-chat", "usage") is not None and read.cells[0].outcome is Outcome.IGNORED
    kept = load(BASELINE)  # a baseline kept without exchanges is a report too
    assert kept.cells and all(c.exchanges == [] for c in kept.cells)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda text: text[: len(text) // 2], "not JSON: "),  # a truncated write
        (lambda text: "\ufeff" + text, "not JSON: "),
        (lambda text: json.dumps(json.loads(text)["cells"]), "not a compat matrix report: a JSON list, not an object"),
        (lambda text: text.replace('"outcome": "ignored"', '"outcome": "fine"'), "cells.0.outcome: Input should be"),
        (lambda text: text.replace('"backends": [', '"backends": [1, '), "backends.0: Input should be a valid"),
        (lambda text: text.replace('"verdict"', '"verdikt"'), "not a compat matrix report: verdict: Field required"),
    ],
    ids=["truncated", "bom", "not-an-object", "unknown-outcome", "row-not-object", "missing-field"],
)
def test_a_bad_file_is_one_line_naming_the_file(tmp_path: Path, damage: object, message: str) -> None:
    _, path = _saved(tmp_path)
    path.write_text(damage(path.read_text()))  # type: ignore[operator]
    with pytest.raises(ReportError) as caught:
        load(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: ") and message in text, text
    assert "\n" not in text


def test_a_missing_or_unreadable_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"none\.json: no such file$"):
        load(tmp_path / "none.json")
    (tmp_path / "bytes.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(ReportError, match=r"bytes\.json: cannot read: "):
        load(tmp_path / "bytes.json")
