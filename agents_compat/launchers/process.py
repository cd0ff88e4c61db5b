"""A backend started as a local process (llama-server, ``python -m agents_compat serve``, any binary).

``launched(profile)`` starts the profile's command in a process group of its own, polls its readiness
URL until it answers 200 or a deadline passes, yields the base URL, and always stops the whole group
afterwards: when the run ends, fails, or is interrupted (Ctrl-C raises KeyboardInterrupt here, and a
``finally`` still runs). Its own group keeps a terminal's Ctrl-C from reaching the server half-way
through the harness's teardown, and lets teardown reach the server's children (a shell wrapper, workers).
``ProcessPool`` keeps one process per profile for a whole session, and reads each one's whole log for
attempts to reach off the machine before it stops them (agents_compat/launchers/outbound.py).
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import IO

from ..config.profiles import Profile
from . import outbound
from .deathsig import die_with_parent

STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL


class LaunchError(Exception):
    """The process could not be started or never became ready; the message says why."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]  # a (host, port) tuple for AF_INET, typed Any by typeshed
        return port


def _tail(log: IO[bytes], limit: int = 400) -> str:
    log.seek(0)
    text = log.read().decode("utf-8", errors="replace").strip()
    return " ".join(text[-limit:].split()) or "(no output)"


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as answer:  # noqa: S310 (a 127.0.0.1 URL we built)
            status: int = answer.status  # an http.client.HTTPResponse, which typeshed's urlopen types as Any
            return status == 200
    except (OSError, urllib.error.URLError):
        return False


def wait_ready(process: subprocess.Popen[bytes], url: str, deadline: float, log: IO[bytes], name: str) -> None:
    started = time.monotonic()
    pause = 0.02
    while not _ready(url):
        code = process.poll()
        if code is not None:
            raise LaunchError(f"{name}: the process exited with status {code} before it was ready: {_tail(log)}")
        if time.monotonic() - started > deadline:
            raise LaunchError(f"{name}: not ready within {deadline:g} s (GET {url}): {_tail(log)}")
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole group, SIGKILL if it lingers; safe to call on a process that already exited."""
    for sig, grace in ((signal.SIGTERM, STOP_GRACE), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:  # the group is gone already
            break
        try:
            process.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
        except BaseException:  # a second Ctrl-C while waiting: do not leave the group behind
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
    process.wait()


@contextmanager
def launched(profile: Profile) -> Iterator[str]:
    """Start the profile's process, yield its /v1 base URL once ready, stop it on the way out."""
    with _launched(profile) as (url, _):
        yield url


def _read_all(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode("utf-8", errors="replace")


@contextmanager
def _launched(profile: Profile) -> Iterator[tuple[str, Callable[[], str]]]:
    """As ``launched``, with a reader of everything the process printed so far."""
    port = profile.port or free_port()
    argv = [part.replace("{port}", str(port)) for part in profile.command]
    with tempfile.TemporaryFile() as log:
        try:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(),  # even a SIGKILLed harness leaves no server behind
            )
        except OSError as exc:
            raise LaunchError(f"{profile.name}: cannot start {argv[0]!r}: {exc.strerror or exc}") from None
        try:
            wait_ready(
                process, f"http://127.0.0.1:{port}{profile.ready_path}", profile.start_timeout, log, profile.name
            )
            yield profile.base_url or f"http://127.0.0.1:{port}/v1", lambda: _read_all(log)
        finally:
            stop(process)


class ProcessPool:
    """One process per profile for a session, all stopped by ``close()`` (and, failing that, at exit)."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._urls: dict[str, str] = {}
        self._logs: dict[str, Callable[[], str]] = {}
        self._failed: dict[str, str] = {}
        atexit.register(self.close)

    def url_for(self, profile: Profile) -> str:
        if profile.name in self._failed:  # do not wait for a broken start once per cell
            raise LaunchError(self._failed[profile.name])
        if profile.name not in self._urls:
            try:
                url, self._logs[profile.name] = self._stack.enter_context(_launched(profile))
                self._urls[profile.name] = url
            except LaunchError as exc:
                self._failed[profile.name] = str(exc)
                raise
        return self._urls[profile.name]

    def outbound_attempts(self) -> list[outbound.Attempt]:
        """Lines in the processes' logs that show an attempt to reach off the machine; read before close()."""
        found = []
        for name, read in self._logs.items():
            found += outbound.attempts_in(name, read())
        for name, message in self._failed.items():  # its message carries the log's tail
            found += outbound.attempts_in(name, message)
        return found

    def close(self) -> None:
        self._urls.clear()
        self._logs.clear()
        self._stack.close()
