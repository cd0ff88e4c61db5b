"""Benchmark the mocked tier (a script, not a test): run it with ``python benchmarks/bench_mocked.py``.

1. Wall time of ``python -m agents_compat matrix`` (README's main job: a fresh process, imports included),
   and the session time pytest itself reports.
2. Per-cell overhead: one plain_text cell as the harness runs it (fresh emulator and mount, wire
   capture, classification, cell) against a bare ``Runner.run`` on the same respx route.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import tempfile
import time

import httpx
from agents import Agent, OpenAIChatCompletionsModel, Runner, set_tracing_disabled
from openai import AsyncOpenAI

from agents_compat.config.profiles import load_profiles
from agents_compat.emulators import create
from agents_compat.judging import classify
from agents_compat.launchers import endpoint_for
from agents_compat.launchers.emulated import mount
from agents_compat.outcomes import Cell
from agents_compat.running.backend import Backend

PROMPT = "Reply with exactly: PONG-7481"


def matrix_wall_times(runs: int) -> tuple[list[float], list[float], str]:
    walls, sessions, summary = [], [], ""
    with tempfile.TemporaryDirectory() as out:
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "--pyargs", "agents_compat.scenarios",
                    "-m",
                    "mocked",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "--compat-report-dir",
                    out,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            walls.append(time.perf_counter() - started)
            summary = done.stdout.strip().splitlines()[-1]
            found = re.search(r"in ([\d.]+)s", summary)
            sessions.append(float(found.group(1)) if found else float("nan"))
            if done.returncode != 0:
                raise SystemExit(f"the mocked matrix failed:\n{done.stdout[-2000:]}")
    return walls, sessions, summary


async def bare_cell(profile_name: str) -> None:
    profile = load_profiles()[profile_name]
    base_url = profile.base_url or "http://bench.emulated/v1"
    transport = mount(create(profile.emulator_name, profile.model, profile.emulator_options), base_url)
    async with httpx.AsyncClient(transport=transport) as http:
        client = AsyncOpenAI(base_url=base_url, api_key=profile.api_key or "k", max_retries=0, http_client=http)
        agent = Agent(
            name="assistant",
            instructions="Answer briefly.",
            model=OpenAIChatCompletionsModel(model=profile.model, openai_client=client),
        )
        result = await Runner.run(agent, PROMPT)
        assert result.final_output == "PONG-7481"


async def harness_cell(profile_name: str) -> None:
    profile = load_profiles()[profile_name]
    async with endpoint_for(profile) as endpoint:
        backend = Backend(profile, endpoint.base_url, endpoint.transport, api_key=endpoint.api_key, timeout=10)
        record = await backend.run(backend.agent("assistant", "Answer briefly."), PROMPT)
        observation = classify.plain_text(record, PROMPT, "PONG-7481")
        cell = Cell(
            profile.name,
            "plain_text",
            profile.tier,
            observation.outcome,
            observation.reason,
            profile.expect.get("plain_text"),
            [e.to_json() for e in record.exchanges],
        )
        assert cell.as_expected
        await backend.aclose()


def per_cell(profile: str, repeats: int) -> tuple[float, float]:
    """Median seconds of a bare cell and a harness cell, interleaved so drift hits both alike."""

    async def loop(count: int) -> tuple[list[float], list[float]]:
        bare, harnessed = [], []
        for _ in range(count):
            for fn, times in ((bare_cell, bare), (harness_cell, harnessed)):
                started = time.perf_counter()
                await fn(profile)
                times.append(time.perf_counter() - started)
        return bare, harnessed

    asyncio.run(loop(20))  # warm-up: imports, pydantic schema caches
    bare, harnessed = asyncio.run(loop(repeats))
    return statistics.median(bare), statistics.median(harnessed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="full-matrix runs (default 3)")
    parser.add_argument("--repeats", type=int, default=200, help="cells per overhead measurement (default 200)")
    parser.add_argument("--profile", default="openai-chat", help="chat-completions profile for the overhead test")
    args = parser.parse_args()
    set_tracing_disabled(True)

    bare, harnessed = per_cell(args.profile, args.repeats)
    print(
        f"per cell ({args.profile}, plain_text, median of {args.repeats}): bare Runner.run {bare * 1000:.2f} ms, "
        f"harness cell {harnessed * 1000:.2f} ms, ratio {harnessed / bare:.2f}x (target <= 1.5x)"
    )

    walls, sessions, summary = matrix_wall_times(args.runs)
    print(
        f"full mocked matrix ({summary}): wall {statistics.median(walls):.2f} s median of {args.runs} "
        f"(min {min(walls):.2f}, max {max(walls):.2f}); pytest session {statistics.median(sessions):.2f} s "
        f"(targets: session < 10 s, wall < 15 s)"
    )


if __name__ == "__main__":
    main()
