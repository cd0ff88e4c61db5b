"""Launchers: given a profile, provide a reachable backend, and always tear it down afterwards.

``endpoint_for(profile)`` picks the launcher from the profile's ``reach``: an in-process emulator
(mocked tier), an already running server at a URL, or a local process it starts (live tier). A row that
cannot run here raises ``MissingPrerequisite`` naming what is missing; the plugin turns that into a skip.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx

from ..config.profiles import Profile
from ..emulators import Faults, create
from .emulated import mount
from .live_servers import ServerPool
from .prerequisites import MissingPrerequisite
from .process import LaunchError, ProcessPool, launched

DEFAULT_EMULATOR_KEY = "emulated-key"


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    transport: httpx.AsyncBaseTransport
    api_key: str
    faults: Faults | None = None  # emulators only: errors a scenario can ask for
    version: str | None = None  # launched servers: the version the server reported
    logs: Callable[[], str] | None = None  # launched servers: what the server printed, for failed cells
    model: str | None = None  # a URL profile's model_env, when set: the model to ask for


def _api_key(profile: Profile, default: str) -> str:
    if profile.api_key_env:
        return os.environ.get(profile.api_key_env, "")
    return profile.api_key or default


def secrets_of(profile: Profile) -> tuple[str, ...]:
    """Every key the profile can send: never to be written anywhere the harness reports."""
    keys = [profile.api_key or "", os.environ.get(profile.api_key_env, "") if profile.api_key_env else ""]
    return tuple(k for k in keys if k)


@asynccontextmanager
async def _network(base_url: str, api_key: str) -> AsyncIterator[Endpoint]:
    transport = httpx.AsyncHTTPTransport()
    try:
        yield Endpoint(base_url, transport, api_key)
    finally:
        await transport.aclose()


def _process_url(profile: Profile, processes: ProcessPool | None, stack: ExitStack) -> str:
    try:
        return processes.url_for(profile) if processes is not None else stack.enter_context(launched(profile))
    except LaunchError as exc:  # a backend that cannot be started is skipped with the reason, never faked
        raise MissingPrerequisite(str(exc)) from None


@asynccontextmanager
async def endpoint_for(
    profile: Profile, processes: ProcessPool | None = None, servers: ServerPool | None = None
) -> AsyncIterator[Endpoint]:
    """The backend for one cell; processes and servers come from session pools, else live for this cell."""
    if profile.reach == "emulator":
        base_url = profile.base_url or f"http://{profile.name}.emulated/v1"
        emulator = create(profile.emulator_name, profile.model, profile.emulator_options)
        faults = Faults()
        transport = mount(emulator, base_url, faults, profile.fault)
        yield Endpoint(base_url, transport, _api_key(profile, DEFAULT_EMULATOR_KEY), faults)
        return
    if profile.reach == "url":
        url = os.environ.get(profile.base_url_env, "") if profile.base_url_env else profile.base_url
        if not url:
            raise MissingPrerequisite(
                f"{profile.name}: no base URL: set ${profile.base_url_env} to the backend's /v1 URL"
            )
        if profile.api_key_env and not os.environ.get(profile.api_key_env):
            raise MissingPrerequisite(f"{profile.name}: no API key: set ${profile.api_key_env}")
        model = os.environ.get(profile.model_env) if profile.model_env else None
        async with _network(url, _api_key(profile, "not-needed")) as endpoint:
            yield Endpoint(endpoint.base_url, endpoint.transport, endpoint.api_key, model=model or None)
        return
    if profile.reach == "process":
        with ExitStack() as stack:
            async with _network(_process_url(profile, processes, stack), _api_key(profile, "not-needed")) as endpoint:
                yield endpoint
        return
    if profile.reach == "server":
        if servers is None or profile.server is None:
            raise ValueError(f"{profile.name}: reach = 'server' needs a server pool")
        missing = [name for name in (profile.live.needs_env if profile.live else []) if not os.environ.get(name)]
        if missing:
            needed = ", ".join("$" + name for name in missing)
            raise MissingPrerequisite(f"{profile.name}: set {needed} (see the profile's live table)")
        try:
            running = servers.get(profile.server, profile.model)
        except MissingPrerequisite as exc:  # named with its remedy; the row's name leads, as in every reason
            raise MissingPrerequisite(f"{profile.name}: {exc}") from None
        async with _network(f"{running.url}/v1", _api_key(profile, "not-needed")) as endpoint:
            yield Endpoint(endpoint.base_url, endpoint.transport, endpoint.api_key, None, running.version, running.logs)
        return
    raise ValueError(f"{profile.name}: no launcher for reach={profile.reach!r}")
