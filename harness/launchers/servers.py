"""Real servers for live rows: llama-server, Ollama and GoModel, in a container or as a local process.

Each kind has a recipe: its command line and environment, how to tell it is ready (llama-server:
/health is 200; Ollama: its API answers and the model, imported here, is listed; GoModel: its model list
includes the model), and how to ask it its version. ``ServerPool`` starts each server once per session,
its upstream first (GoModel in front of Ollama), and stops them all however the session ends.

No server may reach off this machine (docs/live-tier.md): each recipe below turns off the server's own
start-up and periodic fetches, citing where in its source they are; each container's resolv.conf names
127.0.0.1 only; and ``ServerPool.outbound_attempts`` reads every server's whole log at session end for
an attempt that slipped through anyway (harness/launchers/outbound.py). A new kind of server must be read
the same way before it gets a recipe.

Two kinds of failure: a missing prerequisite (no engine, no image, no binary, no model) skips the
cells with a reason that names the command providing it; a server that exists but does not come up
is a ``LaunchFailed`` carrying its logs, and the cells become errors with those logs.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..modelfiles import model_file as assembled_model
from ..prerequisites import SETUP_COMMAND, MissingPrerequisite, cache_dir
from ..profiles import ServerSpec
from . import containers, outbound, pyservers
from .deathsig import die_with_parent
from .process import free_port, stop

MASTER_KEY = "change-me"  # GoModel's master key for the harness's own throw-away gateway
MODEL_DIR = "/models"  # where a container sees the model package's folder
LOG_TAIL = 4000  # characters of a server's log kept with a failed cell


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


def _get(url: str, *, token: str | None = None, timeout: float = 2.0) -> tuple[int, Any]:
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


def _post(url: str, data: bytes, *, content_type: str = "application/json", timeout: float = 120.0) -> int:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            answer.read()
            status: int = answer.status  # an http.client.HTTPResponse, which typeshed's urlopen types as Any
            return status
    except urllib.error.HTTPError as error:
        raise LaunchFailed(f"POST {url}: {error.code} {error.read()[:300]!r}") from None


# -- recipes: what each kind needs, wherever it runs ------------------------------------------------


@dataclass
class Plan:
    """How to start one server: arguments after the binary, environment, and files to mount."""

    args: list[str]
    env: dict[str, str]
    mounts: dict[str, str]  # host path -> path inside a container (read-only)


def _plan(
    spec: ServerSpec, port: int, model: str, model_file: Path, upstream: Running | None, in_container: bool
) -> Plan:
    if spec.kind == "llama-server":
        # No fetch of its own: it downloads only when given -hf/-mu/--model-url, and scripts/live-setup
        # builds it with LLAMA_CURL=OFF, so even those cannot reach out (common/arg.cpp at 0c1e570).
        model_dir = MODEL_DIR if in_container else str(model_file.parent)
        args = ["-m", f"{model_dir}/{model_file.name}", "--host", "127.0.0.1", "--port", str(port)]
        # --temp 0: the same question gets the same answer, so live runs compare run to run;
        # -n 128: a rambling small model cannot hold a cell for minutes (requests are left as the SDK sent them);
        # -t 1: on a busy 2-core machine two threads wait on each other's barrier: measured 0.3-0.5 tokens/s
        # against 6 with one; --no-repack: repacked weights take ggml's AMX path on a CPU that has AMX, and
        # both pinned builds died there with a general protection fault (seen on a Xeon with amx_int8).
        args += ["--alias", model, "--jinja", "-c", "8192", "--temp", "0", "-n", "128", "-t", "1", "--no-repack"]
        template = _llama_template(spec, in_container)
        if template:
            args += ["--chat-template-file", template]
        mounts = {str(model_file.parent): MODEL_DIR} if in_container else {}
        if in_container and (host_template := _cached_llama_template(spec)) is not None:
            mounts[str(host_template)] = LLAMA_TEMPLATE_IN_IMAGE  # the upstream image carries no templates
        return Plan(args + spec.args, {}, mounts)
    if spec.kind == "ollama":
        env = {"OLLAMA_HOST": f"127.0.0.1:{port}", "OLLAMA_NOPRUNE": "1"}
        # Ollama v0.24.0 fetches model recommendations from its website at start and about every 17 min
        # (server/model_recommendations.go, refresh), and hydrates a cloud model cache at start
        # (server/model_show_cache.go, hydrateCloud); both stop when OLLAMA_NO_CLOUD is set
        # (envconfig/config.go, NoCloud). Pulls reach its registry too, and the harness never pulls.
        env["OLLAMA_NO_CLOUD"] = "1"
        return Plan(["serve", *spec.args], env, {})
    assert upstream is not None  # gomodel: the validator requires an upstream
    env = {"PORT": str(port), "GOMODEL_MASTER_KEY": MASTER_KEY, "OLLAMA_BASE_URL": f"{upstream.url}/v1"}
    # GoModel fetches a model metadata list from GitHub at start and on refresh (config/cache.go,
    # cache.model_list.url / MODEL_LIST_URL; internal/modeldata/fetcher.go); an empty value is ignored by its
    # loader, so point it at a closed loopback port: nothing leaves 127.0.0.1. Its other outbound clients
    # (semantic-cache vector stores, embeddings, providers) run only when configured, and only the upstream
    # above (and the user's env_from) is.
    env["MODEL_LIST_URL"] = "http://127.0.0.1:9/models.min.json"
    return Plan(list(spec.args), env, {})


def _env_from(spec: ServerSpec) -> dict[str, str]:
    """What the user gives the server through the harness's environment (an upstream URL and key)."""
    return {inside: os.environ[outside] for inside, outside in spec.env_from.items() if os.environ.get(outside)}


def server_secrets(spec: ServerSpec) -> tuple[str, ...]:
    """Values handed to the server that must never reach a report (its upstream's keys)."""
    return tuple(v for k, v in _env_from(spec).items() if "KEY" in k.upper() or "TOKEN" in k.upper())


LLAMA_TEMPLATE_IN_IMAGE = "/app/templates/chatml-tools.jinja"  # put there by scripts/live-setup


def _llama_template(spec: ServerSpec, in_container: bool) -> str | None:
    """A ChatML template with tool calls (SmolLM2 speaks ChatML); without one the GGUF's own, tool-less one."""
    if in_container:
        return LLAMA_TEMPLATE_IN_IMAGE
    binary = shutil.which(spec.binary)
    beside = Path(binary).parent / "templates" / "chatml-tools.jinja" if binary else None
    return str(beside) if beside and beside.is_file() else None


def _cached_llama_template(spec: ServerSpec) -> Path | None:
    """The template scripts/live-setup took from llama.cpp's source, for an image pulled from its registry."""
    found = cache_dir() / "bin" / f"llama-server-{spec.version}" / "templates" / "chatml-tools.jinja"
    return found if found.is_file() else None


def _ready(spec: ServerSpec, url: str, model: str) -> bool:
    if spec.kind == "llama-server":
        return _get(f"{url}/health")[0] == 200
    if spec.kind == "ollama":
        return _get(f"{url}/api/version")[0] == 200
    if spec.kind == "llama-cpp-python":  # its model is loaded before uvicorn listens
        return _get(f"{url}/v1/models")[0] == 200
    key = pyservers.LITELLM_MASTER_KEY if spec.kind == "litellm" else MASTER_KEY
    status, body = _get(f"{url}/v1/models", token=key)
    return status == 200 and model in {m.get("id") for m in (body or {}).get("data", [])}


GOMODEL_START = re.compile(r'"msg":"starting gomodel","version":"([^"]+)"')  # cmd/gomodel/main.go's first log


def _version(spec: ServerSpec, url: str, logs: Callable[[], str]) -> str:
    """What the server says it is, else the pinned version marked as not measured."""
    if spec.kind == "llama-server":
        body = _get(f"{url}/props")[1] or {}
        reported = str(body.get("build_info", ""))
    elif spec.kind == "ollama":
        reported = str((_get(f"{url}/api/version")[1] or {}).get("version", ""))
    elif spec.kind in pyservers.KINDS:  # no version route: the installed package, as its guard logged it
        reported = pyservers.reported_version(logs)
    else:  # GoModel has no version route; it logs its version as it starts
        found = GOMODEL_START.search(logs())
        reported = found.group(1).removeprefix("v") if found else ""
    return reported if reported and reported != "0.0.0" else f"{spec.version} (pinned; the server reports none)"


def _ollama_import(url: str, model: str, model_file: Path, template_name: str) -> None:
    """Create ``model`` in Ollama from the packaged GGUF, with a ChatML template that has tool calls.

    Through the API (upload the blob, then create), so a pulled upstream image works the same way.
    """
    if _ollama_has(url, model):
        return
    weights = model_file.read_bytes()
    digest = "sha256:" + hashlib.sha256(weights).hexdigest()
    _post(f"{url}/api/blobs/{digest}", weights, content_type="application/octet-stream")
    template = resources.files("harness").joinpath("templates", template_name).read_text(encoding="utf-8")
    request = {
        "model": model,
        "files": {model_file.name: digest},
        "template": template,
        # as for llama-server: temperature 0 for repeatable answers, num_predict caps a rambling model
        "parameters": {
            "stop": ["<|im_start|>", "<|im_end|>"],
            "temperature": 0,
            "num_ctx": 8192,
            "num_predict": 128,
            "num_thread": 1,  # as for llama-server: one thread is the faster on a busy 2-core machine
        },
        "stream": False,
    }
    _post(f"{url}/api/create", json.dumps(request).encode())
    if not _ollama_has(url, model):  # readiness: Ollama answers *and* lists the model
        raise LaunchFailed(f"{model} is not in /api/tags after /api/create")


def _ollama_has(url: str, model: str) -> bool:
    tagged = model if ":" in model else f"{model}:latest"  # Ollama lists an untagged name as name:latest
    return tagged in {m.get("name") for m in (_get(f"{url}/api/tags")[1] or {}).get("models", [])}


# -- launchers: the same plan in a container or as a process ----------------------------------------


def _wait(spec: ServerSpec, url: str, model: str, alive: Callable[[], bool], logs: Callable[[], str]) -> None:
    deadline = time.monotonic() + spec.start_timeout
    pause = 0.05
    while not _ready(spec, url, model):
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


def _in_container(spec: ServerSpec, plan: Plan, stack: ExitStack) -> Watch:
    client = containers.docker_client()
    containers.require_image(client, spec.image)
    containers.remove_leftovers(client)
    if spec.kind == "ollama":
        # testcontainers' own Ollama module: it also waits for "Listening on" in the log.
        from testcontainers.community.ollama import OllamaContainer

        container: Any = OllamaContainer(image=spec.image)
    else:
        from testcontainers.core.container import DockerContainer

        container = DockerContainer(spec.image)
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


def _as_process(spec: ServerSpec, plan: Plan, stack: ExitStack) -> Watch:
    binary = str(pyservers.interpreter(spec)) if spec.kind in pyservers.KINDS else shutil.which(spec.binary)
    if binary is None:
        raise MissingPrerequisite(
            f'{spec.binary} is not on PATH: install {spec.kind} {spec.version}, or use launcher = "container" '
            f"after {SETUP_COMMAND}"
        )
    log = stack.enter_context(tempfile.TemporaryFile())
    env = {**os.environ, **plan.env}
    if spec.kind == "ollama":  # its own model store, not the user's ~/.ollama, removed afterwards
        env["OLLAMA_MODELS"] = stack.enter_context(tempfile.TemporaryDirectory(prefix="compat-ollama-"))
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
    if spec.kind in pyservers.KINDS:
        plan = Plan(*pyservers.command(spec, port, model, model_file, upstream.url if upstream else None, stack), {})
    else:
        plan = _plan(spec, port, model, model_file, upstream, in_container)
    plan.env.update(_env_from(spec))
    alive, read_logs = (_in_container if in_container else _as_process)(spec, plan, stack)

    def logs() -> str:
        return read_logs(LOG_TAIL)

    url = f"http://127.0.0.1:{port}"
    _wait(spec, url, model, alive, logs)
    if spec.kind == "ollama":
        try:
            _ollama_import(url, model, model_file, spec.template)
        except LaunchFailed as exc:
            raise LaunchFailed(f"{spec.name}: importing {model}: {exc}", logs()) from None
    # the whole log: a server that logs its version first (GoModel, the guard of a Python server) may have
    # printed more than the tail holds by the time it is ready (llama-cpp-python's model loading does)
    return Running(spec.name, url, _version(spec, url, lambda: read_logs(None)), logs, lambda: read_logs(None))


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
