"""Bad input to the harness itself: one clear message and a non-zero exit, never a traceback or a hang."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agents_compat.config.features import FEATURE_IDS
from agents_compat.launchers.process import free_port
from agents_compat.testing import run_suites

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def harness(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agents_compat", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def one_clear_line(done: subprocess.CompletedProcess[str], message: str) -> None:
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output, output
    assert [line for line in output.splitlines() if message in line], output


def test_matrix_with_malformed_toml(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[profiles.x\nfamily = ")
    done = harness("matrix", "--backends", "bad.toml", cwd=tmp_path)
    one_clear_line(done, "bad.toml: not valid TOML: Expected ']' at the end of a table declaration")


def test_matrix_with_an_unknown_backend_name(tmp_path: Path) -> None:
    one_clear_line(harness("matrix", "--backend", "olama-chat", cwd=tmp_path), "unknown backend(s) olama-chat; known: ")


def test_an_unknown_backend_name_says_which_backends_files_were_read(tmp_path: Path) -> None:
    # The usual cause: the profile is in a file the run did not read (another folder, a typo in --backends).
    done = harness("matrix", "--backend", "my-gateway", cwd=tmp_path)
    one_clear_line(done, "; backends files read: the built-in ones, no compat-backends.toml")
    (tmp_path / "extra.toml").write_text("")
    (tmp_path / "compat-backends.toml").write_text("")
    done = harness("matrix", "--backend", "my-gateway", "--backends", str(tmp_path / "extra.toml"), cwd=tmp_path)
    one_clear_line(done, "; backends files read: the built-in ones, compat-backends.toml, extra.toml")


def test_serve_on_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = harness("serve", "ollama", "--port", str(port), cwd=tmp_path)
    assert done.returncode == 2
    one_clear_line(done, f"serve: cannot listen on 127.0.0.1:{port}: Address already in use")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["serve", "ollama", "--fault", "slow", "--fault-option", "seconds=-1"],
            "--fault slow: seconds Input should be",
        ),
        (["serve", "ollama", "--fault-option", "seconds=1"], "--fault-option needs --fault KIND"),
        (["serve", "ollama", "--fault", "gremlins"], "invalid choice: 'gremlins'"),
        (["matrix", "--backends", "absent.toml"], "absent.toml: cannot read backends file"),
    ],
    ids=["bad-fault-setting", "fault-option-alone", "unknown-fault", "missing-backends-file"],
)
def test_cli_mistakes(tmp_path: Path, args: list[str], message: str) -> None:
    one_clear_line(harness(*args, cwd=tmp_path), message)


def test_an_unreachable_url_is_an_error_cell_at_once(pytester: pytest.Pytester) -> None:
    port = free_port()  # bound, then closed: nothing listens there
    pytester.makefile(
        ".toml",
        gone=f'[profiles.gone]\nfamily = "custom"\napi = "responses"\nmodel = "m"\nreach = "url"\n'
        f'base_url = "http://127.0.0.1:{port}/v1"\n',
    )
    # Through a glob: a row named exactly would stop the session before it starts (test_selection.py).
    result = run_suites(pytester, "-m", "live", "--backends", "gone.toml", "--backend", "gon[e]")
    # Nothing declared: the skipped cell passes, every error cell fails (an error is never green undeclared).
    result.assert_outcomes(passed=1, failed=len(FEATURE_IDS) - 1)
    result.stdout.fnmatch_lines(
        ["*an error cell fails unless the profile declares*", "undeclared: gone: *agents-compat accept*"]
    )
    cells = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())["cells"]
    for cell in cells:
        if cell["outcome"] == "skipped":  # the model id has no provider/ namespace: nothing is sent
            continue
        # after two refused connections the row stops trying (agents_compat/running/health.py)
        reasons = ("connection failed", "backend not answering since")
        assert cell["outcome"] == "error" and any(r in cell["reason"] for r in reasons), cell
        # error_surfacing asks with the SDK's default two retries, and waits out the SDK's own backoff
        assert cell["seconds"] < (6.0 if cell["feature"] == "error_surfacing" else 1.0), cell
