"""Names round-trip: every row the matrix shows is a --backend name; a row named exactly runs, or says why not."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agents_compat.config.features import FEATURE_IDS
from agents_compat.config.profiles import ProfileError, load_profiles
from agents_compat.config.selection import all_rows, cannot_run, explicit, select_rows
from agents_compat.testing import run_suites

GATEWAY = (
    '[profiles.my-gateway]\nfamily = "custom"\napi = "chat_completions"\nmodel = "qwen3:0.6b"\nreach = "url"\n'
    'base_url_env = "MY_GATEWAY_URL"\n'
)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_every_row_name_is_accepted_back() -> None:
    profiles = load_profiles()
    rows = all_rows(profiles)
    assert "ollama-chat@live" in rows
    for name in rows:
        assert [row.name for row in select_rows(profiles, [name])][0] == name


def test_naming_a_profile_brings_its_live_row_and_naming_the_live_row_only_that() -> None:
    profiles = load_profiles()
    assert [r.name for r in select_rows(profiles, ["ollama-chat"])] == ["ollama-chat", "ollama-chat@live"]
    assert [r.name for r in select_rows(profiles, ["ollama-chat@live"])] == ["ollama-chat@live"]
    assert {r.name for r in select_rows(profiles, ["ollama-*"])} >= {"ollama-chat@live", "ollama-responses"}
    with pytest.raises(ProfileError, match="known: .*ollama-chat@live"):
        select_rows(profiles, ["nosuch"])
    rows = select_rows(profiles, ["ollama-chat", "llamacpp-*"])
    assert [r.name for r in explicit(["ollama-chat", "llamacpp-*"], rows)] == ["ollama-chat"]


def test_why_a_row_cannot_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "gw.toml").write_text(GATEWAY + 'api_key_env = "MY_GATEWAY_KEY"\n')
    gateway = load_profiles([tmp_path / "gw.toml"])["my-gateway"]
    monkeypatch.delenv("MY_GATEWAY_URL", raising=False)
    monkeypatch.delenv("MY_GATEWAY_KEY", raising=False)
    assert cannot_run(gateway) == "$MY_GATEWAY_URL and $MY_GATEWAY_KEY not set " + (
        "(see the profile's base_url_env and api_key_env)"
    )
    monkeypatch.setenv("MY_GATEWAY_KEY", "k")
    port = closed_port()
    monkeypatch.setenv("MY_GATEWAY_URL", f"http://127.0.0.1:{port}/v1")
    assert cannot_run(gateway) == f"nothing answers at http://127.0.0.1:{port}/v1 (Connection refused)"
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        monkeypatch.setenv("MY_GATEWAY_URL", f"http://127.0.0.1:{listening.getsockname()[1]}/v1")
        assert cannot_run(gateway) is None
    native = load_profiles()["gomodel-native"].live_row()
    monkeypatch.delenv("GOMODEL_OPENAI_BASE_URL", raising=False)
    assert "$GOMODEL_OPENAI_BASE_URL" in (cannot_run(native) or "")
    assert cannot_run(load_profiles()["ollama-chat"]) is None


def test_a_named_live_row_left_out_by_minus_m_says_so(pytester: pytest.Pytester) -> None:
    result = run_suites(pytester, "-m", "not live", "--backend", "ollama-chat@live")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --backend ollama-chat@live: -m 'not live' leaves out this live row: add -m live*"]
    )  # noqa: E501


def test_a_named_live_row_that_cannot_start_stops_the_session_in_one_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(pytester.path))  # no container engine, no binaries
    result = run_suites(pytester, "-m", "live", "--backend", "llamacpp-chat@live", "-k", "plain_text or usage")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*Exit: --backend llamacpp-chat@live: cannot run: *"])
    assert "skipped" not in result.stdout.lines[-1]


def test_the_matrix_command_runs_a_named_url_profile_without_extra_flags(tmp_path: Path) -> None:
    (tmp_path / "compat-backends.toml").write_text(GATEWAY)
    serve = subprocess.Popen(
        [sys.executable, "-m", "agents_compat", "serve", "ollama-chat"], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        assert serve.stdout is not None
        url = next(word for word in serve.stdout.readline().split() if word.startswith("http://"))
        env = {"MY_GATEWAY_URL": url, "PATH": "/usr/bin:/bin"}
        done = subprocess.run(
            [sys.executable, "-m", "agents_compat", "matrix", "--backend", "my-gateway", "--report-dir", "out"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        serve.terminate()
        serve.wait(timeout=10)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "deselected" not in done.stdout
    cells = json.loads((tmp_path / "out" / "compat-matrix.json").read_text())["cells"]
    assert {c["backend"] for c in cells} == {"my-gateway"} and len(cells) == len(FEATURE_IDS)
