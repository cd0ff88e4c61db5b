"""Merging runs: provenance per cell, disagreements shown and judged, associativity, bad inputs in one line."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from agents_compat import cli
from agents_compat.report import Report, ReportError, html, load, markdown, merge, terminal
from tests.reports import report_data
from tests.test_report import closed

NEW_SDK = {"openai-agents": "0.24.0", "openai": "3.63.0", "python": "3.11.7"}
OLD_SDK = {"openai-agents": "0.17.0", "openai": "2.26.0", "python": "3.11.7"}


def run(
    when: str,
    *cells: tuple[str, str, str, str | None],
    versions: dict[str, str] = NEW_SDK,
    server: str | None = "b1",
    passed: bool = True,
) -> Report:
    """One run's report: cells as (backend, feature, outcome, declared outcome)."""
    found = [
        {"backend": b, "feature": f, "outcome": o, "expected": e, "reason": f"{b} {f} {o} at {when}"}
        for b, f, o, e in cells
    ]
    data = report_data(found, versions=versions)
    data["generated_at"] = f"2026-03-0{when}T00:00:00+00:00"
    for row in data["backends"]:
        row["version"] = server
    data["verdict"]["passed"] = passed
    return Report.model_validate(data)


A = run("1", ("ollama-chat", "plain_text", "supported", "supported"), ("ollama-chat", "usage", "ignored", None))
B = run("2", ("vllm-responses", "plain_text", "supported", "supported"), server="0.11.0")
C = run("3", ("ollama-chat", "plain_text", "supported", "supported"), ("ollama-chat", "usage", "supported", None))


def write(path: Path, report: Report) -> str:
    path.write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    return str(path)


def test_shards_make_one_matrix_and_every_cell_keeps_its_run_and_versions() -> None:
    merged = merge.merge([A, B])
    assert [r.name for r in merged.backends] == ["ollama-chat", "vllm-responses"]
    assert {(c.backend, c.feature) for c in merged.cells} == {
        ("ollama-chat", "plain_text"),
        ("ollama-chat", "usage"),
        ("vllm-responses", "plain_text"),
    }
    seen = merge.observations(merged)[("vllm-responses", "plain_text")]
    assert len(seen) == 1
    (only,) = seen
    assert only.source.run == merge.run_id(B) and only.source.generated_at == "2026-03-02T00:00:00+00:00"
    assert only.sdk == "openai-agents 0.24.0, openai 3.63.0" and only.server == "0.11.0"
    assert merged.verdict.passed and merged.verdict.cells == 3
    assert merged.versions["openai-agents"] == "0.24.0"
    assert "Every run used openai-agents 0.24.0, openai 3.63.0: merge runs" in markdown.render(merged)
    assert not merge.sdk_changes(merged) and "SDK upgrade changes" not in "\n".join(terminal.merged_lines(merged))


def test_runs_that_disagree_keep_both_outcomes_and_every_format_shows_them() -> None:
    merged = merge.merge([A, C])
    runs = merge.observations(merged)[("ollama-chat", "usage")]
    assert [s.cell.outcome.value for s in runs] == ["ignored", "supported"]  # oldest run first, neither dropped
    assert list(merge.disagreements(merged)) == [("ollama-chat", "usage")]
    # Undeclared: shown, not judged. The same disagreement on a declared cell fails the merged verdict.
    assert merged.verdict.passed and not merged.verdict.disagreeing
    text = "\n".join(terminal.merged_lines(merged))
    assert "runs disagree (1 cell(s)" in text
    assert f"    ignored in run {merge.run_id(A)}: ollama-chat usage ignored at 1" in text
    assert f"    supported in run {merge.run_id(C)}: ollama-chat usage supported at 3" in text
    page = markdown.render(merged)
    section = page.split("## Runs that disagree", 1)[1]
    assert f"ignored in run {merge.run_id(A)}: ollama-chat usage ignored at 1" in section
    assert f"supported in run {merge.run_id(C)}: ollama-chat usage supported at 3" in section
    site = html.render(merged)
    grid = site.split('id="grid"', 1)[1].split("</table>", 1)[0]
    assert grid.count('<td class="varies">') == 1 and "runs differ: ignored in 1 run(s), supported in 1 run(s)" in grid
    listed = site.split('id="disagree"', 1)[1]
    assert "ollama-chat usage ignored at 1" in listed and "ollama-chat usage supported at 3" in listed


def test_a_long_history_shows_as_one_line_per_outcome_and_keeps_every_run() -> None:
    history = [
        run(str(day), ("ollama-chat", "usage", "ignored" if day % 3 else "supported", None)) for day in range(1, 10)
    ]
    merged = merge.merge(history)
    assert len(merge.observations(merged)[("ollama-chat", "usage")]) == 9
    text = "\n".join(terminal.merged_lines(merged))
    last = merge.run_id(history[-1])
    assert f"    supported in 3 runs (last {last}): ollama-chat usage supported at 9" in text
    assert "    ignored in 6 runs (last " in text and text.count("usage ignored at") == 1
    site = html.render(merged)
    evidence = site.split("every run of this cell", 1)[1].split("</div>", 1)[0]
    assert evidence.count("<li>") == 2 and "6 runs (2026-03-01T00:00:00+00:00 to 2026-03-08T00:00:00+00:00" in evidence


def test_a_declared_cell_that_same_version_runs_disagree_on_fails_the_merge() -> None:
    flaky = run("4", ("ollama-chat", "plain_text", "inconclusive", "supported"))  # its own verdict passed (allowed)
    merged = merge.merge([A, flaky])
    assert not merged.verdict.passed
    (line,) = merged.verdict.disagreeing
    assert line.startswith("ollama-chat / plain_text: supported in run ") and "inconclusive in run" in line
    assert "declared cell(s) disagree between runs" in terminal.verdict_text(merged)


def test_a_different_server_version_is_a_change_not_a_disagreement() -> None:
    upgraded = run("5", ("ollama-chat", "usage", "supported", None), server="b2")
    merged = merge.merge([A, upgraded])
    assert len(merge.observations(merged)[("ollama-chat", "usage")]) == 2
    assert not merge.disagreements(merged)


def test_a_failed_input_fails_the_merged_verdict_and_is_named() -> None:
    failed = run("6", ("vllm-responses", "usage", "broken", "supported"), passed=False)
    merged = merge.merge([A, failed])
    assert not merged.verdict.passed
    (line,) = merged.verdict.failed_runs
    assert line.startswith(f"{merge.run_id(failed)} (2026-03-06T00:00:00+00:00, openai-agents 0.24.0")
    assert "compat: FAIL" in line
    assert "1 input run(s) failed" in terminal.verdict_text(merged)


def test_merging_is_associative_and_the_same_run_twice_counts_once() -> None:
    whole = merge.merge([A, B, C]).to_json()
    assert merge.merge([merge.merge([A, B]), C]).to_json() == whole
    assert merge.merge([A, merge.merge([B, C])]).to_json() == whole
    assert merge.merge([C, B, A]).to_json() == whole  # input order does not matter either
    twice = merge.merge([A, A, merge.merge([A, C]), C])
    assert twice.to_json() == merge.merge([A, C]).to_json()
    assert len(twice.sources or []) == 2
    outcomes = [list(entry.outcomes.values()) for entry in twice.cell_runs or []]
    assert outcomes == [["supported", "supported"], ["ignored", "supported"]]


def test_the_merged_file_matches_the_schema_reads_back_and_renders(tmp_path: Path) -> None:
    merged = merge.merge([A, B, C])
    data = merged.to_json()
    jsonschema.validate(data, closed(Report.json_schema()))
    path = tmp_path / "merged.json"
    write(path, merged)
    read = load(path)
    assert read.to_json() == data and read.sources is not None
    assert "ollama-chat" in terminal.terminal(read) and "## Agents SDK backend compatibility" in markdown.render(read)
    assert '<table class="grid"' in html.render(read)
    # A single run's file has neither key: what it always wrote.
    assert "sources" not in A.to_json() and "cell_runs" not in A.to_json()


def test_a_hand_edited_merged_file_whose_outcomes_are_not_its_runs_is_one_line(tmp_path: Path) -> None:
    data = merge.merge([A, C]).to_json()
    outcomes = data["cell_runs"][1]["outcomes"]
    outcomes[merge.run_id(A)] = "supported"  # the run observed ignored
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ReportError) as caught:
        load(path)
    assert str(caught.value) == (
        f"{path}: not a compat matrix report: the top level: Value error, cell_runs ollama-chat / usage: the outcomes "
        "per run are not its sources' cells"
    )


def test_the_command_writes_json_markdown_html_and_the_step_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    files = [write(tmp_path / "a.json", A), write(tmp_path / "b.json", B), write(tmp_path / "a-again.json", A)]
    out = tmp_path / "out" / "merged.json"
    assert cli.main(["merge", *files, "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"merge: 3 file(s), 2 run(s), 3 cells written to {out}" in printed
    assert printed.rstrip().endswith("compat: PASS: 3 cells, 0 differ from their profiles, no baseline, 0 NOT READY")
    assert load(out).to_json() == merge.merge([A, B]).to_json()
    assert "## Merged from 2 runs" in out.with_suffix(".md").read_text()
    assert 'id="runs"' in out.with_suffix(".html").read_text()
    assert "## Merged from 2 runs" in summary.read_text()
    failing = write(tmp_path / "f.json", run("6", ("vllm-responses", "usage", "broken", "supported"), passed=False))
    assert cli.main(["merge", *files, failing, "-o", str(out)]) == 1


def test_bad_inputs_are_each_named_in_one_line_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path / "good.json", A)
    text = Path(good).read_text()
    (tmp_path / "truncated.json").write_text(text[: len(text) // 2])
    wrong: dict[str, Any] = copy.deepcopy(A.to_json())
    wrong["cells"][0]["outcome"] = "fine"
    (tmp_path / "wrong.json").write_text(json.dumps(wrong))
    names = ["truncated.json", "wrong.json", "missing.json"]
    out = tmp_path / "merged.json"
    code = cli.main(["merge", good, *(str(tmp_path / n) for n in names), "-o", str(out)])
    errors = capsys.readouterr().err.splitlines()
    assert code == 2 and not out.exists()
    assert len(errors) == 3
    assert errors[0].startswith(f"error: {tmp_path / 'truncated.json'}: not JSON: ")
    assert errors[1].startswith(f"error: {tmp_path / 'wrong.json'}: not a compat matrix report: cells.0.outcome")
    assert errors[2] == f"error: {tmp_path / 'missing.json'}: no such file"
    assert cli.main(["merge", good, "-o", str(tmp_path / "merged.md")]) == 2
    assert "name a .json file" in capsys.readouterr().err


FIXTURES = Path(__file__).parent.parent / "fixtures" / "merge"


def test_the_sdk_upgrade_view_of_two_real_runs_lists_only_the_cells_the_sdk_changes() -> None:
    oldest, newest = load(FIXTURES / "sdk-0.17.0.json"), load(FIXTURES / "sdk-0.24.0.json")
    assert oldest.versions["openai-agents"] == "0.17.0" and newest.versions["openai-agents"] == "0.24.0"
    merged = merge.merge([newest, oldest])
    assert merged.verdict.passed and len(merged.cells) == len(newest.cells) == 40
    assert merge.sdk_versions(merged) == ["openai-agents 0.17.0, openai 2.26.0", "openai-agents 0.24.0, openai 3.63.0"]
    changes = {(c.backend, c.feature): [(sdk, [s.cell.outcome.value for s in seen]) for sdk, seen in c.by_sdk]
               for c in merge.sdk_changes(merged)}  # fmt: skip
    assert changes == {
        ("gomodel-translated", "streaming"): [
            ("openai-agents 0.17.0, openai 2.26.0", ["broken"]),
            ("openai-agents 0.24.0, openai 3.63.0", ["supported"]),
        ],
        ("gomodel-translated", "streaming_tool_calls"): [
            ("openai-agents 0.17.0, openai 2.26.0", ["broken"]),
            ("openai-agents 0.24.0, openai 3.63.0", ["ignored"]),
        ],
    }
    # The grid shows the newest SDK's run; the oldest's outcome is kept beside it.
    assert merged.cell("gomodel-translated", "streaming").outcome.value == "supported"  # type: ignore[union-attr]
    old_reason = oldest.cell("gomodel-translated", "streaming").reason  # type: ignore[union-attr]
    new_reason = newest.cell("gomodel-translated", "streaming").reason  # type: ignore[union-attr]
    text = "\n".join(terminal.merged_lines(merged))
    view = text.split("SDK upgrade changes", 1)[1]
    assert "openai-agents 0.17.0, openai 2.26.0: broken (text stream: a reply of the wrong shape" in view
    assert f"openai-agents 0.24.0, openai 3.63.0: supported ({new_reason})" in view
    assert "plain_text" not in view and "openai-chat" not in view  # unchanged cells are not listed
    page = markdown.render(merged)
    section = page.split("## SDK upgrade changes", 1)[1]
    assert "2 cell(s) differ between SDK versions" in section
    assert f"**supported**: {markdown.md_text(new_reason)}" in section
    assert f"**broken**: {markdown.md_text(old_reason)}" in section
    assert "openai-chat" not in section.split("## ", 1)[0]
    site = html.render(merged)
    table = site.split('id="sdk-changes"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 3 and html.escape(old_reason) in table and html.escape(new_reason) in table
