"""Launched servers die with the harness, even when the harness is killed outright (SIGKILL, OOM killer).

A ``finally`` stops every process the harness started when it ends, fails or is interrupted; nothing
runs on SIGKILL, and a server in its own session would then live on with PID 1 as its parent. On Linux
the child asks the kernel, between fork and exec, for SIGTERM when its parent dies (PR_SET_PDEATHSIG,
kept across exec). The kernel ties that to the *thread* that forked, so it is only asked for from the
main thread (where the harness starts its servers); elsewhere the ``finally`` alone stands.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen`` (None where it cannot work: not Linux, not the main thread)."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up now: the child should do no more than call it
    parent = os.getpid()

    def in_child() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request was made: follow it now
            os._exit(1)

    return in_child
