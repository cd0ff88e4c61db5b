"""agents_compat/__main__.py: ``python -m agents_compat`` is the CLI, and its exit status is the CLI's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agents_compat", *args], capture_output=True, text=True, timeout=120)


def test_python_m_harness_runs_the_cli() -> None:
    ran = _run("--help")
    assert ran.returncode == 0 and "matrix" in ran.stdout


def test_its_exit_status_is_the_clis() -> None:
    ran = _run("diff", "/nonexistent/old.json", "/nonexistent/new.json")
    assert ran.returncode == 2 and "no such file" in ran.stderr


def test_a_users_matrix_run_prints_no_warning(tmp_path: Path) -> None:
    # An empty folder: no ini sets pytest-asyncio's loop scope, so only the plugin's own hook keeps its
    # deprecation warning out of the user's run (the CLI passes no -o for it).
    ran = subprocess.run(
        [sys.executable, "-m", "agents_compat", "matrix", "--backend", "openai-chat", "--report-dir", "out"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "compat: PASS" in ran.stdout
    assert "Warning" not in ran.stdout + ran.stderr
