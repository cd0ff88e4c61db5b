"""agents_compat/launchers/deathsig.py: a launched server dies with the harness, even when the harness is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from agents_compat.launchers.deathsig import die_with_parent

# The "harness": starts a long sleeper the way the launchers do, says its pid, then waits to be killed.
HARNESS = textwrap.dedent(
    """
    import subprocess, sys, time
    from agents_compat.launchers.deathsig import die_with_parent
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                              preexec_fn=die_with_parent() if sys.argv[1] == "asked" else None)
    print(server.pid, flush=True)
    time.sleep(60)
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone for our purpose
        return stat.read().split(") ")[-1][0] != "Z"


def _server_after_sigkill(mode: str) -> tuple[int, bool]:
    harness = subprocess.Popen([sys.executable, "-c", HARNESS, mode], stdout=subprocess.PIPE, text=True)
    assert harness.stdout is not None
    server = int(harness.stdout.readline())
    harness.send_signal(signal.SIGKILL)
    harness.wait()
    deadline = time.monotonic() + 5
    while _alive(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = _alive(server)
    if alive:
        os.kill(server, signal.SIGKILL)
    return server, alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_server_follows_a_sigkilled_harness_only_when_asked() -> None:
    assert _server_after_sigkill("asked")[1] is False
    assert _server_after_sigkill("not-asked")[1] is True  # the control: without it the server lives on


def test_not_asked_for_from_another_thread() -> None:
    # the kernel ties the request to the forking thread, which may end long before the harness
    found: list[object] = []
    worker = threading.Thread(target=lambda: found.append(die_with_parent()))
    worker.start()
    worker.join()
    assert found == [None]
