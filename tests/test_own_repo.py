"""The harness in a user's own repository: init, a served emulator as their backend, accept, a green rerun."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from agents_compat.accept import accept, write_expectations
from agents_compat.cli import main
from agents_compat.config.features import FEATURE_IDS, FEATURES
from agents_compat.scaffold import BACKENDS_FILE, WORKFLOW_FILE
from tests.reports import report_data, report_of

ROOT = Path(__file__).parent.parent


def actionlint() -> str | None:
    beside_python = Path(sys.executable).parent / "actionlint"
    return str(beside_python) if beside_python.exists() else shutil.which("actionlint")


@contextmanager
def served(name: str) -> Iterator[tuple[str, str]]:
    """``python -m agents_compat serve NAME``: its URL and the API key line it prints."""
    server = subprocess.Popen([sys.executable, "-m", "agents_compat", "serve", name], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        first, second = server.stdout.readline(), server.stdout.readline()
        yield next(w for w in first.split() if w.startswith("http://")), second.strip()
    finally:
        server.terminate()
        server.wait(timeout=10)


def agents_compat(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agents_compat", *args],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_serve_prints_its_url_and_the_key_it_expects() -> None:
    with served("openai-responses") as (url, key_line):
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        assert key_line == "API key: sk-emulated ; Ctrl-C stops"
    with served("ollama-chat") as (_, key_line):
        assert key_line == "API key: any (this emulator does not check it) ; Ctrl-C stops"


def test_init_accept_and_a_green_rerun_then_a_changed_backend_fails(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.pyc")  # the user's own, without a final newline
    init = agents_compat(tmp_path, "init", "--action", "acme/agents-compat-harness@v1")
    assert init.returncode == 0, init.stderr
    assert "added compat-reports/ to " in init.stdout
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\ncompat-reports/\n"
    assert (tmp_path / WORKFLOW_FILE).read_text().count("uses: acme/agents-compat-harness@v1") == 2  # shards, merge
    again = agents_compat(tmp_path, "init")
    assert again.returncode == 2 and "already exist" in again.stderr and "--force" in again.stderr
    assert agents_compat(tmp_path, "init", "--force").returncode == 0
    assert (tmp_path / ".gitignore").read_text() == "*.pyc\ncompat-reports/\n"  # not twice
    with served("ollama-chat") as (url, _):
        env = {"MY_GATEWAY_URL": url, "MY_GATEWAY_KEY": "any", "MY_GATEWAY_MODEL": "qwen3:0.6b"}
        # An absolute --report-dir: pytest must not take it for a path to collect (its rootdir would move away
        # from compat-backends.toml, and my-gateway would be unknown).
        elsewhere = tmp_path / "elsewhere"
        outputs = tmp_path / "github-output"  # what the action reads its outputs from
        first = agents_compat(
            tmp_path, "matrix", "--backend", "my-gateway", "--report-dir", str(elsewhere), **env,
            GITHUB_OUTPUT=str(outputs),
        )  # fmt: skip
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr
        report = elsewhere / "compat-matrix.json"
        assert outputs.read_text() == f"cells={len(FEATURE_IDS)}\ndiffer=0\nlost=0\nreport={report}\n"
        # The Responses-only features are declared by the feature table (skipped on the chat path): not by the user.
        chat_features = {f.id for f in FEATURES if "chat_completions" in f.apis}
        assert chat_features < set(FEATURE_IDS)  # counted from the table, so a new column needs no edit here
        assert f"undeclared: my-gateway: {len(chat_features)} feature(s)" in first.stdout
        assert "Warning" not in first.stdout + first.stderr  # a project without pytest settings gets no noise
        accepted = agents_compat(tmp_path, "accept", "--report", str(elsewhere / "compat-matrix.json"))
        assert accepted.returncode == 0, accepted.stderr
        assert '+plain_text = "supported"' in accepted.stdout
        assert f"accept: wrote {len(chat_features)} expectation(s) for my-gateway" in accepted.stdout
        rerun = agents_compat(tmp_path, "matrix", "--backend", "my-gateway", **env, GITHUB_OUTPUT=str(outputs))
        assert rerun.returncode == 0, rerun.stdout[-3000:]
        assert "undeclared" not in rerun.stdout
        assert f"compat: PASS: {len(FEATURE_IDS)} cells, 0 differ from their profiles" in rerun.stdout
        assert (tmp_path / "compat-reports" / "compat-matrix.json").is_file()  # the default folder
        assert not list(tmp_path.glob("compat-matrix.*"))
        assert outputs.read_text().endswith("\nreport=compat-reports/compat-matrix.json\n")  # appended, as GitHub wants
    expect = tomllib.loads((tmp_path / BACKENDS_FILE).read_text())["profiles"]["my-gateway"]["expect"]
    assert set(expect) == chat_features
    assert expect["previous_response_id"] == "ignored"  # the chat path drops it: observed, not assumed
    # Another backend behind the same URL (llama.cpp's server): the accepted expectations catch what changed.
    with served("llamacpp-chat") as (url, _):
        changed = agents_compat(
            tmp_path, "matrix", "--backend", "my-gateway", MY_GATEWAY_URL=url, MY_GATEWAY_KEY="any",
            MY_GATEWAY_MODEL="smollm2-135m",
        )  # fmt: skip
    assert changed.returncode == 1, changed.stdout[-3000:]
    assert f"compat: FAIL: {len(FEATURE_IDS)} cells, " in changed.stdout and " 0 differ" not in changed.stdout


def test_the_workflows_pass_actionlint(tmp_path: Path) -> None:
    found = actionlint()
    if found is None:
        pytest.skip("needs actionlint (tests/test_workflow.py says how to install it)")
    assert main(["init", "--dir", str(tmp_path)]) == 0
    # The user's workflow, and this repository's own run of action.yml (`uses: ./`, whose inputs actionlint checks).
    for workflow in (tmp_path / WORKFLOW_FILE, ROOT / ".github" / "workflows" / "action.yml"):
        done = subprocess.run([found, "-no-color", str(workflow)], capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert done.returncode == 0, done.stdout + done.stderr


USER_FILE = """\
# our backends
[profiles.my-gateway]
family = "custom"   # ours
api = "chat_completions"
model = "m"
reach = "url"
base_url_env = "MY_GATEWAY_URL"

[profiles.my-gateway.expect]
plain_text = "supported"  # checked by hand

# a built-in, adjusted
[profiles.ollama-chat]
timeout = 5.0
"""


def cell(backend: str, feature: str, outcome: str, expected: str | None) -> dict:
    return {"backend": backend, "feature": feature, "outcome": outcome, "expected": expected, "reason": "r"}


def test_accept_keeps_comments_and_layout_and_writes_only_what_differs(tmp_path: Path) -> None:
    path = tmp_path / "compat-backends.toml"
    path.write_text(USER_FILE)
    report = report_of(
        [
            cell("my-gateway", "plain_text", "supported", "supported"),  # as declared: untouched
            cell("my-gateway", "usage", "ignored", None),
            cell("my-gateway", "streaming", "error", None),  # never accepted
            cell("ollama-chat", "usage", "broken", "supported"),  # a built-in's override
            cell("ollama-chat@live", "usage", "ignored", "supported"),  # live rows declare differs, with a why
        ]
    )
    result = accept(report, path, [])
    text = path.read_text()
    assert (
        text
        == USER_FILE.replace(
            'plain_text = "supported"  # checked by hand\n',
            'plain_text = "supported"  # checked by hand\nusage = "ignored"\n',
        )
        + '\n[profiles.ollama-chat.expect]\nusage = "broken"\n'
    )
    assert result.changes == {"my-gateway": {"usage": "ignored"}, "ollama-chat": {"usage": "broken"}}
    assert [line.split(":")[0] for line in result.refused] == ["my-gateway / streaming", "ollama-chat@live / usage"]
    assert '+usage = "ignored"' in result.diff(path)
    again = accept(report_of([cell("my-gateway", "usage", "supported", "ignored")]), path, [], dry_run=True)
    assert path.read_text() == text  # a dry run writes nothing
    assert '-usage = "ignored"\n+usage = "supported"' in again.diff(path)


def test_accept_of_a_missing_report_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["accept", "--report", str(tmp_path / "none.json"), "--file", str(tmp_path / "x.toml")]) == 2
    assert capsys.readouterr().err.strip().endswith("none.json: no such file")
    (tmp_path / "r.json").write_text(json.dumps(report_data([])))
    assert main(["accept", "--report", str(tmp_path / "r.json"), "--file", str(tmp_path / "x.toml")]) == 0
    assert not (tmp_path / "x.toml").exists()


LAYOUTS = """\
[profiles.a]
model = "m"

  [profiles.a.expect]   # hand-checked
  plain_text = "supported"  # by hand
  # more to come

# the next one
[profiles.b]
expect = { plain_text = "supported" }

[profiles.c]
model = "n"
expect.plain_text = "supported"
# trailing

[profiles.d]
model = "o"

[profiles.e]

[profiles.d.expect]
plain_text = "supported"
"""


def test_accept_keeps_indentation_inline_dotted_and_out_of_order_tables(tmp_path: Path) -> None:
    # Through tomlkit's public API only: 0.15.3 removed the private method accept used to insert a key.
    path = tmp_path / "compat-backends.toml"
    path.write_text(LAYOUTS)
    new = {"usage": "ignored", "streaming": "supported"}
    _, after = write_expectations(path, {"a": new, "b": {"usage": "ignored"}, "c": new, "d": new})
    assert after == (
        LAYOUTS.replace(
            '  plain_text = "supported"  # by hand\n',
            '  plain_text = "supported"  # by hand\n  usage = "ignored"\n  streaming = "supported"\n',
        )
        .replace('{ plain_text = "supported" }', '{ plain_text = "supported", usage = "ignored"}')
        .replace(
            'expect.plain_text = "supported"\n',
            'expect.plain_text = "supported"\nexpect.usage = "ignored"\nexpect.streaming = "supported"\n',
        )
        .replace(
            '[profiles.d.expect]\nplain_text = "supported"\n',
            '[profiles.d.expect]\nplain_text = "supported"\nusage = "ignored"\nstreaming = "supported"\n',
        )
    )
    assert tomllib.loads(after)["profiles"]["d"]["expect"] == {"plain_text": "supported", **new}
