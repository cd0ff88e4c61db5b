"""Fixtures several test files share."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from harness.emulators import create
from harness.emulators.server import make_server


@pytest.fixture
def served_ollama() -> Iterator[str]:
    """The Ollama emulator served on a loopback port: a backend a URL profile can reach over real HTTP."""
    server = make_server(create("ollama", "qwen3:0.6b"), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()
