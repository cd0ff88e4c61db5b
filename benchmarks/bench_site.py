"""Benchmark the static site (a script, not a test): ``python benchmarks/bench_site.py [--sizes 100,300,1000]``.

For each size N, N synthetic reports of 20 backends x 20 features (one captured exchange per cell, a few
outcomes and server versions changing over time, as a history does) are written to a folder, and
``python -m agents_compat site FOLDER -o SITE`` builds the site from them in a fresh process. Measured per
size: wall and CPU seconds (loading the reports included), the peak RSS, the first page's size (index.html
plus the stylesheet it loads, all it loads), the number and total size of the files; then the growth
ratio of the time per report against the smallest size (1.0 is linear).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BACKENDS = 20
FEATURES = 20
OUTCOMES = ["supported", "supported", "supported", "ignored", "unsupported", "broken", "skipped"]


def exchange(backend: str, feature: str, run: int) -> dict[str, Any]:
    return {
        "request": {
            "method": "POST",
            "url": "http://127.0.0.1:8080/v1/chat/completions",
            "headers": {"authorization": "***", "content-type": "application/json"},
            "body": {"model": "m", "messages": [{"role": "user", "content": f"run {run}: {feature} on {backend}"}]},
        },
        "response": {
            "status": 200,
            "headers": {"content-type": "application/json"},
            "body": {"id": f"c{run}", "choices": [{"message": {"role": "assistant", "content": "PONG-7481"}}]},
            "streamed": False,
            "complete": True,
        },
        "seconds": 0.01,
    }


def report(run: int, outcomes: dict[tuple[int, int], str]) -> dict[str, Any]:
    """Run ``run`` of the history: the SDK moves every 200 runs, each backend's server every 50."""
    backends = [f"backend-{b:02d}" for b in range(BACKENDS)]
    features = [f"feature_{f:02d}" for f in range(FEATURES)]
    cells = [
        {
            "backend": backends[b], "feature": features[f], "tier": "mocked", "outcome": outcomes[(b, f)],
            "expected": "supported", "reason": f"{features[f]} on {backends[b]}: {outcomes[(b, f)]}",
            "strict": [], "runs": None, "server_logs": "", "allowed": "", "seconds": 0.01,
            "exchanges": [exchange(backends[b], features[f], run)],
        }
        for b in range(BACKENDS)
        for f in range(FEATURES)
    ]  # fmt: skip
    rows = [
        {"name": name, "family": "custom", "api": "chat_completions", "model": "m", "tier": "mocked",
         "version": f"1.{(run + 7 * b) // 50}", "description": ""}
        for b, name in enumerate(backends)
    ]  # fmt: skip
    return {
        "verdict": {"passed": True, "cells": len(cells), "differing": [], "inconclusive": [], "baseline": False,
                    "lost": [], "not_ready": [], "not_ready_fails": False},
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(1_767_225_600 + run * 3600)),
        "versions": {"openai-agents": f"0.{17 + run // 200}.0", "python": "3.11.7"},
        "features": [{"id": f, "short": f[:4], "verifies": f"what {f} checks"} for f in features],
        "backends": rows,
        "cells": cells,
        "readiness": [],
        "mocked_vs_live": [],
    }  # fmt: skip


def write_reports(folder: Path, count: int, seed: int = 28) -> None:
    chance = random.Random(seed)
    outcomes = {(b, f): "supported" for b in range(BACKENDS) for f in range(FEATURES)}
    for run in range(count):
        for key in outcomes:
            if chance.random() < 0.01:  # about 4 cells of 400 change per run
                outcomes[key] = chance.choice(OUTCOMES)
        (folder / f"run-{run:05d}.json").write_text(json.dumps(report(run, outcomes)), encoding="utf-8")


def build(reports: Path, out: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (its worker processes included) and peak RSS (bytes, of its largest process)
    of one ``agents_compat site`` process. On a shared machine the wall time grows with the others' load; the
    CPU time does not."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "agents_compat", "site", str(reports), "-o", str(out)], stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode:
        raise SystemExit(f"site exited {child.returncode}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024  # kilobytes on Linux


def measure(size: int, workdir: Path) -> dict[str, float]:
    reports, out = workdir / f"reports-{size}", workdir / f"site-{size}"
    reports.mkdir()
    write_reports(reports, size)
    seconds, cpu, rss = build(reports, out)
    files = [p for p in out.rglob("*") if p.is_file()]
    first = (out / "index.html").stat().st_size + (out / "style.css").stat().st_size
    return {
        "reports": size,
        "seconds": seconds,
        "cpu": cpu,
        "rss_mb": rss / 2**20,
        "first_page_kb": first / 1024,
        "files": len(files),
        "site_mb": sum(p.stat().st_size for p in files) / 2**20,
        "input_mb": sum(p.stat().st_size for p in reports.iterdir()) / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,300,1000", help="numbers of reports, comma-separated")
    sizes = [int(n) for n in parser.parse_args().sizes.split(",")]
    print(f"{BACKENDS} backends x {FEATURES} features per report; {os.cpu_count()} CPUs")
    head = ("reports", 8), ("seconds", 8), ("CPU s", 7), ("peak RSS", 9), ("first page", 11), ("files", 6)
    print(" ".join(f"{name:>{width}}" for name, width in head), f"{'site':>8} {'input':>8}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            row = measure(size, Path(tmp))
            rows.append(row)
            print(
                f"{size:>8} {row['seconds']:>8.1f} {row['cpu']:>7.1f} {row['rss_mb']:>6.0f} MB "
                f"{row['first_page_kb']:>8.0f} KB "
                f"{row['files']:>6} {row['site_mb']:>5.0f} MB {row['input_mb']:>5.0f} MB",
                flush=True,
            )
    for key in ("seconds", "cpu"):
        base = rows[0][key] / rows[0]["reports"]
        growth = ", ".join(f"{r['reports']}: {r[key] / r['reports'] / base:.2f}" for r in rows)
        print(f"{key} per report against {rows[0]['reports']} reports (1.00 is linear): {growth}")


if __name__ == "__main__":
    main()
