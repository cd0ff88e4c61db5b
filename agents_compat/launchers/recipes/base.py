"""What every launch recipe is: how one kind of server is started, told ready and asked its version.

A recipe knows its server; the launcher (agents_compat/launchers/live_servers.py) knows where it runs, in a container
or as a process, and waits for it. ``Plan``, ``Running`` and ``LaunchFailed`` are what the two hand each
other. No server may reach off this machine: each recipe turns off its server's own start-up and periodic
fetches, citing where in its source they are.
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ...config.profiles import ServerSpec

MODEL_DIR = "/models"  # where a container sees the model package's folder


class LaunchFailed(Exception):
    """The server exists but did not become ready; ``logs`` holds what it printed."""

    def __init__(self, message: str, logs: str = ""):
        super().__init__(message)
        self.logs = logs


@dataclass
class Running:
    """A ready server: its root URL (no /v1), the version it reports, and a way to read its logs."""

    name: str
    url: str
    version: str
    logs: Callable[[], str]  # the tail, kept with a failed cell
    full_logs: Callable[[], str]  # everything, read for outbound attempts


@dataclass
class Plan:
    """How to start one server: arguments after the binary, environment, and files to mount."""

    args: list[str]
    env: dict[str, str]
    mounts: dict[str, str]  # host path -> path inside a container (read-only)


def get(url: str, *, token: str | None = None, timeout: float = 2.0) -> tuple[int, Any]:
    """A GET on a server the harness started: its status (0 when nothing answers) and JSON body (or None)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (127.0.0.1 URLs we built)
            body = answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        return error.code, None
    except (OSError, urllib.error.URLError):
        return 0, None
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


def post(url: str, data: bytes, *, content_type: str = "application/json", timeout: float = 120.0) -> int:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            answer.read()
            status: int = answer.status  # an http.client.HTTPResponse, which typeshed's urlopen types as Any
            return status
    except urllib.error.HTTPError as error:
        raise LaunchFailed(f"POST {url}: {error.code} {error.read()[:300]!r}") from None


def lists_model(url: str, model: str, key: str) -> bool:
    """A gateway is ready when its /v1/models, asked with its master key, lists the model."""
    status, body = get(f"{url}/v1/models", token=key)
    return status == 200 and model in {m.get("id") for m in (body or {}).get("data", [])}


class Recipe:
    """One kind of server (``kind``, a ``ServerSpec.kind``): subclasses say how it starts and answers."""

    kind: ClassVar[str]

    def __init__(self, spec: ServerSpec):
        self.spec = spec

    def plan(
        self, port: int, model: str, model_file: Path, upstream: Running | None, in_container: bool, stack: ExitStack
    ) -> Plan:
        """Its arguments, environment and mounts; files it needs live as long as ``stack``."""
        raise NotImplementedError

    def ready(self, url: str, model: str) -> bool:
        """Whether it answers, with ``model`` loaded."""
        raise NotImplementedError

    def reported_version(self, url: str, logs: Callable[[], str]) -> str:
        """What it says it is ("" when it says nothing); ``logs`` reads its whole log."""
        raise NotImplementedError

    def executable(self) -> str | None:
        """The program a process launcher runs: the binary on PATH, None when it is not there."""
        return shutil.which(self.spec.binary)

    def process_env(self, stack: ExitStack) -> dict[str, str]:
        """Environment for a process only (a container has its own filesystem)."""
        return {}

    def container(self) -> Any:
        """The testcontainers container for its image (imported here: only a container launch needs it)."""
        from testcontainers.core.container import DockerContainer

        return DockerContainer(self.spec.image)

    def prepare(self, url: str, model: str, model_file: Path) -> None:
        """Once ready: what must happen before a cell can use it (nothing, for most kinds)."""
