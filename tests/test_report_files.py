"""Report files under hostile conditions: Ctrl-C while they are written, an interrupted session, and
backend text that would otherwise become Markdown or HTML in the report and the CI step summary."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from agents_compat.config.profiles import load_profiles
from agents_compat.judging.matrix import Matrix
from agents_compat.outcomes import Cell, Outcome
from agents_compat.report import Report, atomic
from agents_compat.report import files as report_files
from agents_compat.report import html as html_report
from agents_compat.report.build import build

HOSTILE = "<!-- hidden | `code` **bold** <script>alert(1)</script> [x](http://evil) ```\nnext line"


def _report(reason: str = "because") -> Report:
    profiles = load_profiles()
    matrix = Matrix()
    matrix.add(
        profiles["ollama-chat"], Cell("ollama-chat", "plain_text", "mocked", Outcome.BROKEN, reason, Outcome.SUPPORTED)
    )
    return build(matrix)[0]


def test_a_failure_while_rendering_leaves_every_old_report_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_files.write(tmp_path, _report())
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def interrupted(report: Report, secrets: object = ()) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(html_report, "render", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report_files.write(tmp_path, _report("a newer run"))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no half-new set, no temp file left


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "compat-matrix.json"
    target.write_text("old")

    def fail(src: str, dst: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_text(target, "new" * 1000)
    assert [p.name for p in tmp_path.iterdir()] == ["compat-matrix.json"]
    assert target.read_text() == "old"


SIGINT_WHILE_WRITING = """
import os, signal
from agents_compat.report import html as html_report

_render = html_report.render

def render(report, secrets=()):
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of writing the reports
    return _render(report, secrets)

html_report.render = render
"""

SIGINT_IN_THIRD_TEST = """
import os, signal

seen = []

def pytest_runtest_setup(item):
    seen.append(item)
    if len(seen) == 3:
        os.kill(os.getpid(), signal.SIGINT)
"""


def test_ctrl_c_while_the_reports_are_written_finishes_them_without_a_traceback(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(sigint_plugin=SIGINT_WHILE_WRITING)
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        *("--pyargs", "agents_compat.scenarios", "-p", "no:cacheprovider", "-p", "sigint_plugin"),
        *("--compat-report-dir", str(out), "--backend", "ollama-chat", "-k", "test_plain_text or test_streaming"),
    )
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert "SIGINT while the reports were written: they were finished first" in output
    assert result.ret == pytest.ExitCode.INTERRUPTED
    report = json.loads((out / "compat-matrix.json").read_text())
    assert len(report["cells"]) == 3  # plain_text, streaming, streaming_tool_calls
    assert (out / "compat-matrix.html").read_text().rstrip().endswith("</html>")
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_an_interrupted_session_says_so_at_the_top_of_every_format(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(sigint_plugin=SIGINT_IN_THIRD_TEST)
    out = pytester.path / "out"
    summary = pytester.path / "summary.md"
    summary.write_text("earlier step\n")
    result = _run_with_summary(pytester, out, summary)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    report = json.loads((out / "compat-matrix.json").read_text())
    assert next(iter(report)) == "interrupted"
    cells = len(report["cells"])
    assert report["interrupted"]["cells"] == cells and 0 < cells < 19  # the third test never ran
    markdown = (out / "compat-matrix.md").read_text()
    assert markdown.startswith(f"> **INTERRUPTED RUN: stopped by Ctrl-C or SIGTERM after {cells} cells")
    html = (out / "compat-matrix.html").read_text()
    assert html.index("INTERRUPTED RUN") < html.index("<h1>")
    step_summary = summary.read_text()
    assert step_summary.startswith("earlier step\n> **INTERRUPTED RUN")


def _run_with_summary(pytester: pytest.Pytester, out: Path, summary: Path) -> pytest.RunResult:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        return pytester.runpytest_subprocess(
            *("--pyargs", "agents_compat.scenarios", "-p", "no:cacheprovider", "-p", "sigint_plugin"),
            *("--compat-report-dir", str(out), "--backend", "ollama-chat"),
        )


def test_backend_text_stays_inert_in_markdown_and_the_step_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    report_files.write(tmp_path / "out", _report(HOSTILE))
    for text in ((tmp_path / "out" / "compat-matrix.md").read_text(), summary.read_text()):
        assert "<!--" not in text and "<script>" not in text and "[x](http" not in text
        assert "**bold**" not in text and "`code`" not in text
        evidence = [line for line in text.splitlines() if line.startswith("- **ollama-chat** `plain_text`")]
        assert len(evidence) == 2 and all("hidden \\| \\`code\\`" in line for line in evidence), text
        table = [line for line in text.splitlines() if line.startswith("| ollama")]
        assert table and all(line.count("|") - line.count("\\|") == 4 for line in table), table
        assert "&lt;\\!-- hidden" in text and "next line" in text


def test_signals_held_reports_what_arrived_and_restores_the_handlers() -> None:
    before = signal.getsignal(signal.SIGINT)
    with atomic.signals_held() as arrived:
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
    assert arrived == ["SIGINT", "SIGTERM"]
    assert signal.getsignal(signal.SIGINT) is before


def test_ctrl_c_in_a_cli_command_is_one_line_and_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from agents_compat import cli

    source, kept = tmp_path / "report.json", tmp_path / "baseline.json"
    source.write_text(json.dumps(_report().to_json()))
    kept.write_text("the old baseline")

    def interrupted(src: str, dst: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    assert cli.main(["baseline", str(source), str(kept)]) == 130
    assert capsys.readouterr().err == "interrupted\n"
    assert kept.read_text() == "the old baseline"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline.json", "report.json"]


def test_a_report_gets_the_umask_and_an_existing_one_keeps_its_mode(tmp_path: Path) -> None:
    # A temporary file is created 0600: renamed into place as it is, a shared report would become unreadable.
    old = tmp_path / "kept.json"
    old.write_text("{}")
    old.chmod(0o644)
    previous = os.umask(0o027)
    try:
        assert atomic.umask() == 0o027
        atomic.write_text(old, '{"new": 1}')
        atomic.write_text(tmp_path / "new.json", "{}")
    finally:
        os.umask(previous)
    assert (old.stat().st_mode & 0o777, old.read_text()) == (0o644, '{"new": 1}')
    assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.json", "new.json"]


# -- a report folder that fails at the end: the run's results are kept, and the failure is one line --------

FOLDER_BECOMES_A_FILE = """
import shutil
from pathlib import Path

def pytest_collection_finish(session):  # after the start-of-run check found the folder fine
    out = Path(session.config.getoption("compat_report_dir"))
    shutil.rmtree(out)
    out.write_text("a file where the report folder was")
"""

DISK_FULL = """
import errno
from pathlib import Path
from agents_compat.report import atomic

_write_text = atomic.write_text

def write_text(path, text):
    if Path(path).parent.name == "out":  # the report folder's disk is full; the temporary folder's is not
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    return _write_text(path, text)

atomic.write_text = write_text
"""


def _lines(result: pytest.RunResult) -> list[str]:
    return (result.stdout.str() + result.stderr.str()).splitlines()


@pytest.mark.parametrize(
    ("plugin", "why"),
    [(FOLDER_BECOMES_A_FILE, "(File exists: out)"), (DISK_FULL, "(No space left on device: ")],
    ids=["a file in the folder's place", "a full disk"],
)
def test_reports_that_cannot_be_written_still_give_the_matrix_the_verdict_and_a_copy(
    pytester: pytest.Pytester, plugin: str, why: str
) -> None:
    pytester.makepyfile(failing_plugin=plugin)
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        *("--pyargs", "agents_compat.scenarios", "-p", "no:cacheprovider", "-p", "failing_plugin"),
        *("--compat-report-dir", str(out), "--backend", "ollama-chat", "-k", "test_plain_text or test_streaming"),
    )
    lines = _lines(result)
    assert not [line for line in lines if "Traceback" in line or "INTERNALERROR" in line], "\n".join(lines)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # every test passed: the lost files alone fail it
    result.assert_outcomes(passed=3, skipped=3)
    assert any("Agents SDK compatibility matrix" in line for line in lines)
    assert any(line.startswith("ollama-chat") for line in lines)  # the matrix row
    assert [line for line in lines if line.startswith("compat: ")], "no verdict line"
    told = [line for line in lines if line.startswith("reports: ")]
    assert len(told) == 1, lines
    assert told[0].startswith(f"reports: the reports could not be written to out {why}"), told[0]
    spare = Path(told[0].rsplit("written to ", 1)[1].removesuffix(" instead"))
    try:
        assert sorted(p.name for p in spare.iterdir()) == sorted(report_files.FILES)
        report = json.loads((spare / "compat-matrix.json").read_text())
        assert len(report["cells"]) == 3
        assert any(line == f"matrix: 3 cells written to {spare}: compat-matrix.json, .md and .html" for line in lines)
    finally:
        for path in spare.iterdir():
            path.unlink()
        spare.rmdir()


def test_when_not_even_a_temporary_folder_takes_them_the_line_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(path: Path, text: str) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(atomic, "write_text", full)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    written = report_files.write_or_recover(tmp_path / "out", _report())
    assert written.folder is None
    assert written.problem.startswith(f"the reports could not be written to {tmp_path / 'out'} (No space left")
    assert ", nor to a temporary folder (No space left on device" in written.problem
    assert "\n" not in written.problem


def test_a_step_summary_that_cannot_be_written_leaves_the_files_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "no-such-folder" / "summary.md"))
    written = report_files.write_or_recover(tmp_path / "out", _report())
    assert written.folder == tmp_path / "out" and sorted(p.name for p in written.folder.iterdir()) == sorted(
        report_files.FILES
    )
    assert written.problem.startswith("the CI step summary could not be written (No such file or directory")
