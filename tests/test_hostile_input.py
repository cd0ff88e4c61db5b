"""Crafted reports, files and options: one clear line naming the file or option and exit 2, never a
traceback, and never a file written outside the folder asked for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents_compat.cli import main
from agents_compat.testing import run_suites
from tests.reports import report_data

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

EXCHANGE = {
    "request": {"method": "POST", "url": "http://h/v1/chat/completions", "headers": {}, "body": {}},
    "response": {"status": 200, "headers": {}, "body": {}, "streamed": False, "complete": True},
    "seconds": 0.0,
}


def live_report(backend: str, feature: str, *, listed: bool = True) -> dict:
    cell = {"backend": backend, "feature": feature, "outcome": "supported", "reason": "r", "exchanges": [EXCHANGE]}
    backends = [{"name": backend, "version": "1", "model": "m"}] if listed else []
    return report_data([cell], versions={"openai": "3"}, backends=backends)


def one_line_exit_2(code: int, capsys: pytest.CaptureFixture[str], message: str) -> None:
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert code == 2, output
    assert "Traceback" not in output, output
    assert [line for line in output.splitlines() if message in line], output


@pytest.mark.parametrize(
    ("row", "feature"),
    [("../../../escaped@live", "plain_text"), ("ok@live", "../../../../escaped"), ("/abs/escaped@live", "..")],
)
def test_cassettes_from_a_crafted_report_stay_inside_the_output_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], row: str, feature: str
) -> None:
    report = tmp_path / "a" / "b" / "report.json"
    report.parent.mkdir(parents=True)
    report.write_text(json.dumps(live_report(row, feature)))
    out = tmp_path / "a" / "b" / "out"
    assert main(["cassettes", str(report), str(out)]) == 0, capsys.readouterr()
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != report]
    assert len(written) == 1 and written[0].is_relative_to(out), written
    assert "escaped" not in {p.name for p in tmp_path.rglob("*") if not p.is_relative_to(out)}


def test_cassettes_refuse_a_symlink_that_leads_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps(live_report("row@live", "plain_text")))
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "row").symlink_to(elsewhere)
    one_line_exit_2(main(["cassettes", str(report), str(out)]), capsys, "resolves outside")
    assert not list(elsewhere.iterdir())


@pytest.mark.parametrize(
    ("report", "message"),
    [
        (live_report("row@live", "plain_text", listed=False), "no backend 'row@live' in the report's 'backends'"),
        ({**live_report("row@live", "plain_text"), "versions": [1]}, "versions: Input should be a valid dictionary"),
        ({**live_report("row@live", "plain_text"), "backends": [1]}, "backends.0: Input should be a valid dictionary"),
        (
            report_data([{"backend": "b", "feature": "f", "outcome": "supported", "exchanges": 3}]),
            "cells.0.exchanges: Input should be a valid list",
        ),
    ],
    ids=["missing-backend", "versions-list", "backends-not-objects", "exchanges-not-list"],
)
def test_crafted_reports_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], report: dict, message: str
) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    for argv in (["cassettes", str(path), str(tmp_path / "out")], ["diff", str(path), str(path)]):
        if argv[0] == "diff" and "backend 'row@live'" in message:
            continue  # diff needs no backend rows
        one_line_exit_2(main(argv), capsys, f"{path}: ")
        one_line_exit_2(main(argv), capsys, message)


DEEP = "x = " + "[" * 5000 + "]" * 5000 + "\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (DEEP.encode(), "deep.toml: not valid TOML: nested too deeply"),
        (b"\xff\xfe[profiles.x]\n", "deep.toml: cannot read backends file: not UTF-8 text (byte 0)"),
        (b"\x00\x01\x02binary", "deep.toml: not valid TOML"),
        (
            b'[profiles.x]\nfamily = "custom"\napi = "responses"\nmodel = "m"\n',
            "profile 'x': family 'custom' names no emulator; known: ",
        ),
        (
            b'[profiles.x]\nfamily = "ollama"\napi = "responses"\nmodel = "m"\nemulator = "olama"\n',
            "profile 'x': emulator 'olama' names no emulator",
        ),
    ],
    ids=["nested-5000", "not-utf8", "binary", "custom-without-emulator", "unknown-emulator"],
)
def test_bad_backends_files_are_one_line_before_any_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deep.toml").write_bytes(content)
    one_line_exit_2(main(["matrix", "--backends", "deep.toml"]), capsys, message)


def test_a_bad_backends_file_under_plain_pytest_is_a_usage_error(pytester: pytest.Pytester) -> None:
    (pytester.path / "bin.toml").write_bytes(b"\xff\xfe\x00\x00")
    result = run_suites(pytester, "--backends", "bin.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output and "Traceback" not in output, output
    assert "bin.toml: cannot read backends file: not UTF-8 text" in output


def test_agents_that_are_not_tables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "agents.toml").write_text("agents = [1, 2]\n")
    one_line_exit_2(
        main(["matrix", "--backends", "agents.toml", "--backend", "ollama-chat"]),
        capsys,
        "agents.toml: 'agents' must be tables: [agents.NAME]",
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "ollama", "--port", "70000"], "argument --port: expected a port from 0 to 65535, got '70000'"),
        (["serve", "ollama", "--port", "-1"], "argument --port: expected a port from 0 to 65535"),
    ],
)
def test_bad_serve_options(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 2
    assert message in capsys.readouterr().err


def test_a_report_dir_that_is_a_file_is_refused_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken").write_text("a file")
    one_line_exit_2(main(["matrix", "--report-dir", "taken"]), capsys, "--report-dir taken: not a folder")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--compat-timeout", "-1"], "--compat-timeout: expected a positive number of seconds, got '-1'"),
        (["--compat-timeout", "nan"], "--compat-timeout: expected a positive number of seconds, got 'nan'"),
        (["--compat-report-dir", "taken"], "--compat-report-dir taken: not a folder"),
    ],
    ids=["timeout-negative", "timeout-nan", "report-dir-file"],
)
def test_bad_plugin_options_are_usage_errors_before_the_run(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    (pytester.path / "taken").write_text("a file")
    result = pytester.runpytest_inprocess(
        "--pyargs", "agents_compat.scenarios", "-p", "no:cacheprovider",
        *args,
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert message in output and "Traceback" not in output and "passed" not in output, output
