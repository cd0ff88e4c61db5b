"""The process launcher: a real local server started, used, and always stopped, even on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from agents_compat.config.profiles import Profile, ProfileError, load_profiles
from agents_compat.launchers.process import LaunchError, ProcessPool, free_port, launched

SERVE = [sys.executable, "-m", "agents_compat", "serve", "ollama", "--port", "{port}"]


def profile(command: list[str], **fields: object) -> Profile:
    return Profile(
        name="proc",
        family="ollama",
        api="chat_completions",
        model="qwen3:0.6b",
        reach="process",
        command=command,
        **fields,
    )


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_launched_server_answers_then_is_gone(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    # exec keeps the shell's pid, so the pid file names the server itself
    command = ["sh", "-c", f"echo $$ > {pidfile}; exec {' '.join(SERVE)}"]
    with launched(profile(command)) as base_url:
        with urllib.request.urlopen(f"{base_url}/models", timeout=5) as answer:
            assert answer.status == 200
        pid = int(pidfile.read_text())
        assert alive(pid)
    assert not alive(pid)
    assert not listening(int(base_url.rsplit(":", 1)[1].split("/")[0]))


def test_a_process_that_exits_early_is_a_clear_error() -> None:
    command = [sys.executable, "-c", "import sys; print('no model file'); sys.exit(3)"]
    started = time.monotonic()
    with pytest.raises(LaunchError, match=r"proc: the process exited with status 3 before it was ready: no model file"):
        with launched(profile(command)):
            pass
    assert time.monotonic() - started < 5


def test_a_process_never_ready_is_stopped_at_the_deadline(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    command = ["sh", "-c", f"echo $$ > {pidfile}; exec sleep 60"]
    with pytest.raises(LaunchError, match=r"proc: not ready within 0.5 s \(GET http://127.0.0.1:\d+/v1/models\)"):
        with launched(profile(command, start_timeout=0.5)):
            pass
    assert not alive(int(pidfile.read_text()))


def test_a_missing_binary_is_a_clear_error() -> None:
    with pytest.raises(LaunchError, match="proc: cannot start 'no-such-server-binary'"):
        with launched(profile(["no-such-server-binary"])):
            pass


def test_pool_starts_once_and_remembers_a_failed_start() -> None:
    pool = ProcessPool()
    good = profile(SERVE)
    try:
        assert pool.url_for(good) == pool.url_for(good)
        broken = profile([sys.executable, "-c", "raise SystemExit(4)"]).model_copy(update={"name": "broken"})
        for _ in range(2):
            with pytest.raises(LaunchError, match="status 4"):
                pool.url_for(broken)
        port = int(pool.url_for(good).rsplit(":", 1)[1].split("/")[0])
    finally:
        pool.close()
    assert not listening(port)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('reach = "process"\n', "reach = \"process\" needs 'command'"),
        ('reach = "process"\ncommand = "llama-server"\n', "field 'command' Input should be a valid list"),
        ('reach = "process"\ncommand = ["x"]\nport = 70000\n', "field 'port' Input should be less than or equal"),
        ("port = 8080\n", "'port' only apply to reach = \"process\""),
    ],
    ids=["no-command", "command-not-a-list", "port-out-of-range", "port-without-process"],
)
def test_process_fields_are_validated(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[profiles.p]\nfamily = "ollama"\napi = "chat_completions"\nmodel = "m"\n' + text)
    with pytest.raises(ProfileError, match="profile 'p': ") as caught:
        load_profiles([path])
    assert message in str(caught.value)


def _slow_served_session(tmp_path: Path, output: int) -> tuple[subprocess.Popen[bytes], Path, int]:
    """A pytest run of one live cell against a served emulator whose slow fault holds the first request a minute.

    Returns the run, the file the server writes its pid to, and its port.
    """
    pidfile, port = tmp_path / "served.pid", free_port()
    serve = " ".join([*SERVE, "--fault", "slow", "--fault-option", "seconds=60"])
    command = ["sh", "-c", f"echo $$ > {pidfile}; exec {serve}"]
    (tmp_path / "proc.toml").write_text(
        '[profiles.served-slow]\nfamily = "ollama"\napi = "chat_completions"\nmodel = "qwen3:0.6b"\n'
        f'reach = "process"\nport = {port}\ncommand = {json.dumps(command)}\n'
    )
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--pyargs", "agents_compat.scenarios", "-m", "live"]
        + ["-p", "no:cacheprovider", "-q"]
        + ["--backends", "proc.toml", "--backend", "served-slow", "-k", "test_plain_text", "--compat-timeout", "120"],
        cwd=tmp_path,
        stdout=output,
        stderr=subprocess.STDOUT if output == subprocess.PIPE else subprocess.DEVNULL,
        start_new_session=True,  # our signal goes to pytest alone, as a terminal's goes to its foreground job
    )
    return run, pidfile, port


def test_ctrl_c_during_a_scenario_stops_the_served_process(tmp_path: Path) -> None:
    # The slow fault holds the scenario inside its first request: Ctrl-C lands mid-scenario.
    run, pidfile, port = _slow_served_session(tmp_path, subprocess.PIPE)
    try:
        assert wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), 60), "the server never started"
        pid = int(pidfile.read_text())
        assert wait_for(lambda: listening(port), 30), "the served process never listened"
        time.sleep(1.0)  # readiness passed; the scenario is now waiting on the stalled reply
        assert run.poll() is None, "pytest finished before it could be interrupted"
        run.send_signal(signal.SIGINT)
        output = run.communicate(timeout=30)[0].decode()
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    try:
        assert run.returncode == pytest.ExitCode.INTERRUPTED, output
        assert "KeyboardInterrupt" in output
        assert wait_for(lambda: not alive(pid), 5), f"served process {pid} outlived the interrupted run"
        assert not listening(port)
    finally:
        if alive(pid):  # the test failed: do not leave the server behind ourselves
            os.kill(pid, signal.SIGKILL)


def test_a_sigkilled_pytest_leaves_no_served_process_behind(tmp_path: Path) -> None:
    run, pidfile, port = _slow_served_session(tmp_path, subprocess.DEVNULL)
    pid = None
    try:
        assert wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), 60), "the server never started"
        pid = int(pidfile.read_text())
        assert wait_for(lambda: listening(port), 30), "the served process never listened"
        run.kill()  # SIGKILL: no finally, no atexit, no plugin hook runs in pytest
        run.wait()
        assert wait_for(lambda: not alive(pid), 10), f"served process {pid} outlived the killed pytest"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        if pid is not None and alive(pid):  # the test failed: do not leave the server behind ourselves
            os.kill(pid, signal.SIGKILL)
