"""A served emulator under concurrent load answers every request completely (benchmarks/load_serve.py, small)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "load_serve.py"


def load(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(SCRIPT), "--requests", "200", "--clients", "10", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_200_requests_from_10_clients_all_complete_and_valid() -> None:
    done = load()
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["answered"], summary["errors"]) == (200, 0)
    assert summary["requests_per_second"] > 0 and summary["p99_ms"] >= summary["p50_ms"]


@pytest.mark.parametrize(
    ("fault", "said"), [("no_end_event", "did not end with"), ("malformed_json", "JSONDecodeError")]
)
def test_the_load_checks_catch_incomplete_answers(fault: str, said: str) -> None:
    done = load("--fault", fault)
    assert done.returncode == 1
    assert json.loads(done.stdout)["errors"] > 0 and said in done.stderr
