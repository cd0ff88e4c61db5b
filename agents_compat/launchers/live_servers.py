"""Real servers for live rows (llama-server, Ollama, GoModel, LiteLLM, llama-cpp-python), in a container or
as a local process.

Each kind has a recipe (agents_compat/launchers/recipes/, one module per kind): its command line and environment,
how to tell it is ready, what it needs once ready, and how to ask it its version. This module runs a
recipe's plan in a container or as a process and waits for it; ``ServerPool`` starts each server once per
session, its upstream first (GoModel in front of Ollama), and stops them all however the session ends.

No server may reach off this machine (docs/live-tier.md): each recipe turns off the server's own
start-up and periodic fetches, citing where in its source they are; each container's resolv.conf names
127.0.0.1 only; and ``ServerPool.outbound_attempts`` reads every server's whole log at session end for
an attempt that slipped through anyway (agents_compat/launchers/outbound.py). A new kind of server must be read
the same way before it gets a recipe.

Two kinds of failure: a missing prerequisite (no engine, no image, no binary, no model) skips the
cells with a reason that names the command providing it; a server that exists but does not come up
is a ``LaunchFailed`` carrying its logs, and the cells become errors with those logs.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ..config.profiles import ServerSpec
from . import containers, outbound
from .deathsig import die_with_parent
from .modelfiles import model_file as assembled_model
from .prerequisites import SETUP_COMMAND, MissingPrerequisite
from .process import free_port, stop
from .recipes import LaunchFailed, Plan, Recipe, Running, recipe_for

LOG_TAIL = 4000  # characters of a server's log kept with a failed cell

__all__ = ["LaunchFailed", "Running", "ServerPool", "launch", "server_secrets"]


def _env_from(spec: ServerSpec) -> dict[str, str]:
    """What the user gives the server through the harness's environment (an upstream URL and key)."""
    return {inside: os.environ[outside] for inside, outside in spec.env_from.items() if os.environ.get(outside)}


def server_secrets(spec: ServerSpec) -> tuple[str, ...]:
    """Values handed to the server that must never reach a report (its upstream's keys)."""
    return tuple(v for k, v in _env_from(spec).items() if "KEY" in k.upper() or "TOKEN" in k.upper())


def _version(recipe: Recipe, url: str, logs: Callable[[], str]) -> str:
    """What the server says it is, else the pinned version marked as not measured."""
    reported = recipe.reported_version(url, logs)
    return reported if reported and reported != "0.0.0" else f"{recipe.spec.version} (pinned; the server reports none)"


# -- launchers: a recipe's plan in a container or as a process ----------------------------------------


def _wait(recipe: Recipe, url: str, model: str, alive: Callable[[], bool], logs: Callable[[], str]) -> None:
    spec = recipe.spec
    deadline = time.monotonic() + spec.start_timeout
    pause = 0.05
    while not recipe.ready(url, model):
        if not alive():
            raise LaunchFailed(f"{spec.name}: the server stopped before it was ready", logs())
        if time.monotonic() > deadline:
            raise LaunchFailed(f"{spec.name}: not ready within {spec.start_timeout:g} s at {url}", logs())
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


Watch = tuple[Callable[[], bool], Callable[[int | None], str]]  # is it alive; its logs (the last N characters)


def _loopback_resolv_conf(stack: ExitStack) -> str:
    """A resolv.conf naming 127.0.0.1 only, for every container: a look-up that slips through fails here."""
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="compat-resolv-")))
    path = folder / "resolv.conf"
    path.write_text("# written by agents-compat-harness: containers resolve on loopback only\nnameserver 127.0.0.1\n")
    path.chmod(0o644)
    folder.chmod(0o755)
    return str(path)


def _in_container(recipe: Recipe, plan: Plan, stack: ExitStack) -> Watch:
    spec = recipe.spec
    client = containers.docker_client()
    containers.require_image(client, spec.image)
    containers.remove_leftovers(client)
    container = recipe.container()
    containers.host_network(container, spec.name)
    container.with_command(plan.args).with_envs(**plan.env)
    for host, inside in plan.mounts.items():
        container.with_volume_mapping(host, inside, "ro")
    container.with_volume_mapping(_loopback_resolv_conf(stack), "/etc/resolv.conf", "ro")
    stack.callback(_quietly_stop, container)
    try:
        container.start()
    except Exception as exc:
        raise LaunchFailed(f"{spec.name}: the container did not start: {exc}", containers.logs_of(container)) from None
    return (lambda: containers.running(container)), (lambda limit: containers.logs_of(container, limit))


def _quietly_stop(container: Any) -> None:
    try:
        container.stop()
    except Exception:  # already removed; teardown must go on with the other servers
        pass


def _as_process(recipe: Recipe, plan: Plan, stack: ExitStack) -> Watch:
    spec = recipe.spec
    binary = recipe.executable()
    if binary is None:
        raise MissingPrerequisite(
            f'{spec.binary} is not on PATH: install {spec.kind} {spec.version}, or use launcher = "container" '
            f"after {SETUP_COMMAND}"
        )
    log = stack.enter_context(tempfile.TemporaryFile())
    env = {**os.environ, **plan.env, **recipe.process_env(stack)}
    process = subprocess.Popen(
        [binary, *plan.args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=die_with_parent(),
    )
    stack.callback(stop, process)

    def logs(limit: int | None) -> str:
        log.seek(0)
        text = log.read().decode("utf-8", errors="replace")
        return text[-limit:] if limit else text

    return (lambda: process.poll() is None), logs


def launch(spec: ServerSpec, model: str, stack: ExitStack, upstream: Running | None = None) -> Running:
    """Start ``spec`` (stopped when ``stack`` closes) and return it once ready with ``model`` loaded."""
    model_file = assembled_model(spec.gguf)
    port = free_port()
    in_container = spec.launcher == "container"
    recipe = recipe_for(spec)
    plan = recipe.plan(port, model, model_file, upstream, in_container, stack)
    plan.env.update(_env_from(spec))
    alive, read_logs = (_in_container if in_container else _as_process)(recipe, plan, stack)

    def logs() -> str:
        return read_logs(LOG_TAIL)

    url = f"http://127.0.0.1:{port}"
    _wait(recipe, url, model, alive, logs)
    try:
        recipe.prepare(url, model, model_file)
    except LaunchFailed as exc:
        raise LaunchFailed(f"{spec.name}: {exc}", logs()) from None
    # the whole log: a server that logs its version first (GoModel, the guard of a Python server) may have
    # printed more than the tail holds by the time it is ready (llama-cpp-python's model loading does)
    return Running(spec.name, url, _version(recipe, url, lambda: read_logs(None)), logs, lambda: read_logs(None))


class ServerPool:
    """One server per spec for a session; all stopped by ``close()`` (and, failing that, at exit)."""

    def __init__(self, servers: dict[str, ServerSpec]):
        self.servers = servers
        self._stack = ExitStack()
        self._running: dict[str, Running] = {}
        self._failed: dict[str, Exception] = {}
        atexit.register(self.close)

    def get(self, name: str, model: str) -> Running:
        if name in self._failed:  # a server that failed once is not retried for every cell
            raise self._failed[name]
        if name not in self._running:
            spec = self.servers[name]
            try:
                upstream = self.get(spec.upstream, _upstream_model(spec, model)) if spec.upstream else None
                self._running[name] = launch(spec, model, self._stack, upstream)
            except (MissingPrerequisite, LaunchFailed) as exc:
                self._failed[name] = exc
                raise
        return self._running[name]

    def outbound_attempts(self) -> list[outbound.Attempt]:
        """Lines in the servers' logs (whole, since start) that show an attempt to reach off the machine.

        Read before ``close()``: a stopped container's logs are gone. A server that failed to start is
        read from the log tail its failure kept.
        """
        found = []
        for name, running in self._running.items():
            found += outbound.attempts_in(name, running.full_logs())
        for name, exc in self._failed.items():
            found += outbound.attempts_in(name, getattr(exc, "logs", ""))
        return found

    def close(self) -> None:
        self._running.clear()
        self._stack.close()


def _upstream_model(spec: ServerSpec, model: str) -> str:
    """GoModel's ``ollama/smollm2:135m`` is Ollama's ``smollm2:135m``; a row on another provider (the
    native path's ``openai/...``) still needs the upstream up, with its usual model."""
    provider, _, name = model.partition("/")
    return name if provider == spec.upstream_provider and name else spec.upstream_model
