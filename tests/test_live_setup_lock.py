"""scripts/live-setup takes the cache's lock first: a second set-up waits instead of sharing a half-built cache."""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from pathlib import Path

SETUP = Path(__file__).resolve().parent.parent / "scripts" / "live-setup"


def test_a_second_set_up_waits_for_the_lock_then_runs(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {**os.environ, "COMPAT_CACHE_DIR": str(cache)}
    with (cache / ".setup.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # the first set-up, still running
        # --python at a missing path: once it has the lock, the script stops at its first real step
        second = subprocess.Popen(
            ["bash", str(SETUP), "--python", str(tmp_path / "no-python")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.5)
        assert second.poll() is None, "live-setup went on while another set-up held the lock"
    out, err = second.communicate(timeout=30)
    assert "another set-up is using" in err
    assert second.returncode == 2 and "no Python at" in err  # it ran on once the lock was free


def test_a_set_up_gives_up_on_a_lock_held_past_its_limit(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {**os.environ, "COMPAT_CACHE_DIR": str(cache), "COMPAT_SETUP_LOCK_WAIT": "1"}
    with (cache / ".setup.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # e.g. a daemon that inherited a set-up's lock
        done = subprocess.run(
            ["bash", str(SETUP), "--python", str(tmp_path / "no-python")],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert done.returncode == 1 and "still held" in done.stderr


def test_the_podman_service_it_leaves_running_holds_no_copy_of_the_lock(tmp_path: Path) -> None:
    """The service outlives the set-up; if it (or the subshell waiting for it) kept the lock, every later set-up
    would wait on it. The script's own start line runs here with `sleep` in podman's place."""
    script = SETUP.read_text()
    start = script.rindex("\n", 0, script.index("podman system service --time=0")) + 1
    line = script[start : script.index("2>&1 &", start) + len("2>&1 &")]
    service = line.replace('podman system service --time=0 "unix://$SOCKET"', "sleep 30").replace('"$CACHE', '"$DIR')
    lock = tmp_path / ".setup.lock"
    harness = (
        'as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }\n'
        f'exec 9>"{lock}"; flock -n 9 || exit 9\nDIR="{tmp_path}"; mkdir -p "$DIR/logs"\n{service}\necho "$!"\n'
    )
    done = subprocess.run(["bash", "-c", harness], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    try:
        time.sleep(0.5)  # the service has started
        with lock.open("w") as mine:
            fcntl.flock(mine, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises BlockingIOError while anyone holds it
    finally:
        subprocess.run(["pkill", "-f", "^sleep 30$"], check=False)
