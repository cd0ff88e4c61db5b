"""Fixtures several test files share."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

import pytest

from agents_compat.emulators import create
from agents_compat.emulators.serve import make_server


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C reaches this run and the pytest runs it starts, even when it was started with SIGINT ignored.

    A background job of a non-interactive shell (`cmd &` in a script, a CI step) starts with SIGINT ignored,
    every child inherits that, and the tests that press Ctrl-C on a child run (test_process.py,
    test_report_files.py) would see it ignored. A Python handler here gives each child the default back:
    exec resets a caught signal to its default, never an ignored one.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def served_ollama() -> Iterator[str]:
    """The Ollama emulator served on a loopback port: a backend a URL profile can reach over real HTTP."""
    server = make_server(create("ollama", "qwen3:0.6b"), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
