"""Containers through testcontainers, on Docker or on Podman's Docker-compatible socket.

Live servers run on the host network, each on its own 127.0.0.1 port: these machines allow traffic to
loopback only, and a bridge network hands out private addresses (docs/live-tier.md, "The machine"). Images
are never pulled here; an image the engine lacks is a missing prerequisite that names the command which
builds it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .prerequisites import SETUP_COMMAND, MissingPrerequisite, cache_dir, require_live_extra

if TYPE_CHECKING:
    from docker import DockerClient
    from testcontainers.core.container import DockerContainer

PODMAN_SOCKET = Path("/run/podman/podman.sock")
DOCKER_SOCKET = Path("/var/run/docker.sock")
LABEL = "agents-compat-harness"  # on every container the harness starts, so a leftover can be found


def engine_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The settings testcontainers needs for the engine found here (it reads them when first imported).

    Podman without Ryuk: Ryuk's image cannot be pulled, and the harness removes its own containers.
    docker_host mode: on a machine with /.dockerenv testcontainers otherwise assumes it runs inside a
    container and looks up a gateway that Podman's API does not report (KeyError: 'HostConfig').
    """
    settings: dict[str, str] = {}
    if "DOCKER_HOST" not in environ and not DOCKER_SOCKET.exists() and PODMAN_SOCKET.exists():
        settings["DOCKER_HOST"] = f"unix://{PODMAN_SOCKET}"
    if settings.get("DOCKER_HOST", environ.get("DOCKER_HOST", "")).endswith("podman.sock"):
        settings.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    settings.setdefault("TESTCONTAINERS_CONNECTION_MODE", "docker_host")
    return {k: v for k, v in settings.items() if k not in environ}


def docker_client() -> DockerClient:
    """A docker-py client for the engine, or MissingPrerequisite naming how to get one."""
    require_live_extra()
    os.environ.update(engine_environment())
    import docker  # after the environment above: docker.from_env reads DOCKER_HOST

    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:  # docker-py raises DockerException with the socket's error inside
        where = os.environ.get("DOCKER_HOST") or f"unix://{DOCKER_SOCKET}"
        raise MissingPrerequisite(
            f"no container engine answers at {where} ({type(exc).__name__}): run {SETUP_COMMAND} "
            "(Podman with a Docker-compatible socket), or start Docker"
        ) from None
    return client


def require_image(client: DockerClient, image: str) -> None:
    import docker.errors

    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        # scripts/live-setup leaves a note when it could not build an image here: say that, not "run it".
        note = cache_dir() / "unavailable" / image.replace("/", "_").replace(":", "_")
        if note.is_file():
            why = " ".join(note.read_text(encoding="utf-8", errors="replace").split())[:300]
            raise MissingPrerequisite(f"image {image} is not in the container engine: {why}") from None
        raise MissingPrerequisite(
            f"image {image} is not in the container engine: run {SETUP_COMMAND} (builds it here), "
            f"or `docker pull {image}` where a registry is reachable"
        ) from None


def host_network(container: DockerContainer, name: str) -> DockerContainer:
    """Run on the host network: the server listens on its own 127.0.0.1 port; no port mapping."""
    container.ports.clear()
    return container.with_kwargs(network_mode="host", labels={LABEL: name, f"{LABEL}.pid": str(os.getpid())})


def logs_of(container: DockerContainer, limit: int | None = 4000) -> str:
    """The container's stdout and stderr, the last ``limit`` characters (all with None); never raises."""
    try:
        out, err = container.get_logs()
    except Exception as exc:  # a container that is already gone
        return f"(no logs: {type(exc).__name__}: {exc})"
    text = (out + err).decode("utf-8", errors="replace")
    return text[-limit:] if limit else text


def running(container: DockerContainer) -> bool:
    """Asks the engine (the container object caches the state it had when created)."""
    try:
        wrapped = container.get_wrapped_container()
        wrapped.reload()
        return wrapped.status == "running"
    except Exception:  # removed, or the engine is gone
        return False


def remove_leftovers(client: DockerClient) -> list[str]:
    """Remove containers of earlier sessions whose pytest process is gone (killed before its teardown)."""
    removed: list[str] = []
    for container in client.containers.list(all=True, filters={"label": LABEL}):
        pid = int(container.labels.get(f"{LABEL}.pid", "0") or 0)
        if pid and _alive(pid):
            continue
        container.remove(force=True)
        removed.append(container.name or container.short_id)  # docker-py's name is None without attrs['Name']
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
