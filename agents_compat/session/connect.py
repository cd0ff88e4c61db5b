"""The ``backend`` fixture's work: a scenario's row connected, through its emulator, process, container or URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest

from ..config.profiles import Profile
from ..launchers import Endpoint, endpoint_for
from ..launchers.prerequisites import MissingPrerequisite
from ..running import health
from ..running.backend import Backend
from ..wire.inert import inert

if TYPE_CHECKING:
    from .state import CompatSession

NOT_ANSWERING_KEY = pytest.StashKey[str]()  # on a test item: its row's backend had stopped answering


def timeout(config: pytest.Config, profile: Profile) -> float:
    given: float | None = config.getoption("compat_timeout")  # parsed by options.seconds
    if given is not None:
        return given
    if profile.timeout is not None:
        return profile.timeout
    return 10.0 if profile.tier == "mocked" else 120.0


@asynccontextmanager
async def connected(request: pytest.FixtureRequest, session: CompatSession) -> AsyncIterator[Backend]:
    """The row ``request.param`` as a Backend, closed when the scenario is done."""
    profile: Profile = request.param
    async with _endpoint(session, profile) as endpoint:
        if endpoint.version:
            session.matrix.versions[profile.name] = endpoint.version
        if endpoint.model:  # a URL profile told its model by an environment variable
            profile = profile.model_copy(update={"model": endpoint.model})
        backend = Backend(
            profile,
            endpoint.base_url,
            _guarded(request, session, profile, endpoint.transport, timeout(request.config, profile)),
            api_key=endpoint.api_key,
            timeout=timeout(request.config, profile),
            faults=endpoint.faults,
            server_logs=endpoint.logs,
            max_body=request.config.getoption("compat_max_body"),
        )
        try:
            yield backend
        finally:
            await backend.aclose()


def _guarded(
    request: pytest.FixtureRequest, session: CompatSession, profile: Profile, transport: Any, timeout: float
) -> Any:
    """A live row's transport, failing fast once its backend stopped answering (agents_compat/running/health.py).

    A body silent for half the cell timeout when the cell was cut counts as no answer: a slow model still
    streaming is not silent that long, and a stalled backend then costs about two cell timeouts, not a row.
    """
    if profile.tier != "live":
        return transport
    found = session.health.setdefault(profile.name, health.Health())
    if found.dead:
        request.node.stash[NOT_ANSWERING_KEY] = found.reason
    return health.GuardedTransport(transport, found, stall_after=timeout / 2)


@asynccontextmanager
async def _endpoint(session: CompatSession, profile: Profile) -> AsyncIterator[Endpoint]:
    """``endpoint_for``, except that a row the user named never skips: the session stops, with one line why."""
    entered = False
    try:
        async with endpoint_for(profile, session.processes, session.servers) as endpoint:
            entered = True
            yield endpoint
    except MissingPrerequisite as missing:
        if entered:
            raise
        if profile.name not in session.explicit:
            pytest.skip(str(missing))
        why = str(missing).removeprefix(f"{profile.name}: ")
        pytest.exit(f"--backend {profile.name}: cannot run: {inert(why)}", returncode=pytest.ExitCode.TESTS_FAILED)
