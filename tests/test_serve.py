"""Emulators served over real HTTP answer the real SDK, streaming included; a busy port is a clear error."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest
from agents import Agent, OpenAIChatCompletionsModel, OpenAIResponsesModel, Runner
from openai import AsyncOpenAI

from agents_compat.cli import main
from agents_compat.emulators import create
from agents_compat.emulators.serve import make_server


@pytest.fixture
def served_url() -> Iterator[str]:
    server = make_server(create("ollama", "qwen3:0.6b"), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}/v1"
    server.shutdown()
    server.server_close()


async def test_real_sdk_over_http_chat_and_responses_streaming(served_url: str) -> None:
    client = AsyncOpenAI(base_url=served_url, api_key="ollama", max_retries=0)
    chat = Agent(name="a", instructions="Be brief.", model=OpenAIChatCompletionsModel("qwen3:0.6b", client))
    result = await Runner.run(chat, "Reply with exactly: served over HTTP")
    assert result.final_output == "served over HTTP"

    responses = Agent(name="a", instructions="Be brief.", model=OpenAIResponsesModel("qwen3:0.6b", client))
    streamed = Runner.run_streamed(responses, "Reply with exactly: one two three")
    deltas = [
        e.data.delta
        async for e in streamed.stream_events()
        if e.type == "raw_response_event" and e.data.type == "response.output_text.delta"
    ]
    assert deltas == ["one ", "two ", "three"]
    assert streamed.final_output == "one two three"
    await client.close()


def test_serve_on_a_busy_port_fails_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "ollama", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_serve_unknown_name_fails_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "nosuch"]) == 2
    assert "unknown name 'nosuch'" in capsys.readouterr().err


def test_matrix_command_runs_the_mocked_suites(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(pytest, "main", lambda argv: seen.append(argv) or 0)
    assert main(["matrix", "--backend", "ollama-chat", "--report-dir", "out", "--baseline", "base.json"]) == 0
    assert seen == [
        [
            "--pyargs", "agents_compat.scenarios",
            "-q",
            "--compat-matrix",
            "full",
            "-p",
            "no:cacheprovider",
            "--assert=plain",
            "-W",
            "ignore::pytest.PytestAssertRewriteWarning",
            "-m",
            "mocked",
            # One argv entry each: a separate value that is an existing path would move pytest's rootdir.
            "--backend=ollama-chat",
            "--compat-report-dir=out",
            "--compat-baseline=base.json",
        ]
    ]


def test_serve_detach_returns_once_the_server_listens_and_names_how_to_stop_it() -> None:
    command = [sys.executable, "-m", "agents_compat", "serve", "ollama-chat", "--detach"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    url = next(word for word in done.stdout.split() if word.startswith("http://127.0.0.1:"))
    pid = int(done.stdout.rsplit("kill ", 1)[1])
    try:
        # No waiting: the command returned only once the server listened.
        assert httpx.get(f"{url}/models", timeout=10).json()["data"][0]["id"] == "qwen3:0.6b"
        port = url.split(":")[2].split("/")[0]
        busy = subprocess.run(
            [sys.executable, "-m", "agents_compat", "serve", "ollama-chat", "--port", port, "--detach"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert busy.returncode == 2 and "Address already in use" in busy.stderr, busy.stderr
    finally:
        os.kill(pid, signal.SIGTERM)
