"""The fan-out, run here as GitHub's runner would: action.yml's own run step, once per shard in separate processes
and workspaces (each a real `agents-compat matrix` on its backend group, under its own settings), then the
artifacts gathered as actions/download-artifact lays them out, and the same step in merge mode."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agents_compat import cli
from agents_compat.config.features import FEATURE_IDS
from agents_compat.report import load, merge

ROOT = Path(__file__).parent.parent
RUN_STEP = "Run the matrix (or merge reports)"


def step_script(name: str) -> str:
    """The `run: |` block of the action's step called ``name``, as the runner writes it to a script file."""
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    step = text.split(f"    - name: {name}\n", 1)[1]
    block = re.search(r"\n      run: \|\n((?:        .*\n|\n)+)", step)
    assert block is not None, f"no run block in the step {name!r}"
    return "".join(line[8:] + "\n" for line in block[1].splitlines())


def inputs(**given: str) -> dict[str, str]:
    """The step's env as the action maps its inputs (defaults from action.yml), on this Python's PATH."""
    env = {"BACKEND": "", "TIER": "", "BACKENDS_FILE": "", "BASELINE": "", "AGENT": "", "FAIL_NOT_READY": "false"}
    env |= {"REPORT_DIR": "compat-reports", "WORKERS": "", "MERGE": "", **given}
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    keep = {k: v for k, v in os.environ.items() if k not in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")}
    return {**keep, **env, "PATH": path}


def start(workspace: Path, env: dict[str, str], step: str = RUN_STEP) -> subprocess.Popen[str]:
    """One job's step: its own workspace, runner temp, outputs and summary files, bash as the runner calls it."""
    (workspace / "temp").mkdir(parents=True, exist_ok=True)
    script = workspace / "temp" / "step.sh"
    script.write_text(step_script(step), encoding="utf-8")
    files = {
        "RUNNER_TEMP": str(workspace / "temp"),
        "GITHUB_OUTPUT": str(workspace / "temp" / "output"),
        "GITHUB_STEP_SUMMARY": str(workspace / "temp" / "summary.md"),
    }
    command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
    return subprocess.Popen(command, cwd=workspace, env={**env, **files}, stdout=subprocess.PIPE, text=True)


def outputs(workspace: Path) -> dict[str, str]:
    lines = (workspace / "temp" / "output").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_shards_in_separate_processes_merge_into_one_report(tmp_path: Path) -> None:
    shards = {
        "compat-shard-0": inputs(BACKEND="openai-chat", WORKERS="2"),  # cells over two xdist workers
        "compat-shard-1": inputs(BACKEND="ollama-chat,gomodel-translated"),
    }
    jobs = {name: start(tmp_path / name, env) for name, env in shards.items()}
    for name, job in jobs.items():
        out, _ = job.communicate(timeout=600)
        assert job.returncode == 0, f"{name}:\n{out[-3000:]}"
        assert outputs(tmp_path / name)["verdict"].startswith("compat: PASS: ")
    # actions/download-artifact with a pattern: one folder per artifact, named for it.
    merging = tmp_path / "merge"
    for name in shards:
        shutil.copytree(tmp_path / name / "compat-reports", merging / "shards" / name)
    job = start(merging / "job", inputs(MERGE="../shards/*/compat-matrix.json"))
    out, _ = job.communicate(timeout=300)
    assert job.returncode == 0, out[-3000:]
    found = outputs(merging / "job")
    cells = 3 * len(FEATURE_IDS)
    assert found["verdict"] == f"compat: PASS: {cells} cells, 0 differ from their profiles, no baseline, 0 NOT READY"
    assert found["cells"] == str(cells) and found["lost"] == "0"
    merged = load(merging / "job" / found["report"])
    assert sorted(row.name for row in merged.backends) == ["gomodel-translated", "ollama-chat", "openai-chat"]
    shard_reports = [load(merging / "shards" / name / "compat-matrix.json") for name in shards]
    assert sorted(s.run for s in merged.sources or []) == sorted(merge.run_id(r) for r in shard_reports)
    seen = merge.observations(merged)
    assert len(seen) == cells and all(len(runs) == 1 for runs in seen.values())
    assert seen[("openai-chat", "plain_text")][0].source.run == merge.run_id(shard_reports[0])
    assert "## Merged from 2 runs" in (merging / "job" / "temp" / "summary.md").read_text(encoding="utf-8")
    data = json.loads((merging / "job" / found["report"]).read_text(encoding="utf-8"))
    assert len(data["sources"]) == 2 and len(data["cell_runs"]) == cells
    # The opt-in Pages step in the same job (pages: true): a site of the two runs from the shards' reports.
    site = merging / "job" / "temp" / "agents-compat-site"
    env = inputs(MERGE="../shards/*/compat-matrix.json", HISTORY="", SITE=f"{site}/")
    job = start(merging / "job", env, "Build the site")
    out, _ = job.communicate(timeout=300)
    assert job.returncode == 0, out[-3000:]
    assert len(list((site / "runs").iterdir())) == 2 and (site / "index.html").is_file()
    assert "openai-chat" in (site / "index.html").read_text(encoding="utf-8")


def test_workers_without_pytest_xdist_is_one_line_and_a_bad_count_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "xdist" else real(name, *a))
    assert cli.main(["matrix", "--backend", "openai-chat", "--workers", "2"]) == 2
    assert capsys.readouterr().err == "error: matrix --workers needs pytest-xdist: pip install 'pytest-xdist>=3.8.0'\n"
    with pytest.raises(SystemExit) as stopped:
        cli.main(["matrix", "--workers", "0"])
    assert stopped.value.code == 2 and "expected a number of processes (1 or more) or 'auto'" in capsys.readouterr().err
