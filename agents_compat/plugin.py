"""The pytest plugin: thin hooks that hand a session that runs scenarios to agents_compat/session/state.py.

Registered through the ``pytest11`` entry point, so any project that installs the package can run the
scenario suites (``pytest --pyargs agents_compat.scenarios``) against its own profiles. Every pytest run
of such a project loads this module: it imports nothing of the harness but its options, and imports the
session (and with it the Agents SDK) only when the run asks for the harness: it collects a scenario (a
test that takes the ``backend`` fixture), names a row with --backend, or receives a pytest-xdist
worker's cells.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from . import options
from .session import workers

if TYPE_CHECKING:
    from .outcomes import Cell
    from .running.backend import Backend
    from .session.state import CompatSession


def pytest_addoption(parser: pytest.Parser) -> None:
    options.declare(parser)


ASYNCIO_SCOPE_UNSET = 'The configuration option "asyncio_default_fixture_loop_scope" is unset'


@pytest.hookimpl(tryfirst=True, specname="pytest_configure")
def pytest_configure_asyncio_scope(config: pytest.Config) -> None:
    """pytest-asyncio, which this package brings, warns in every run of a project whose ini does not set its
    fixture loop scope. The harness's own async fixtures name their loop scope, so that warning is about none
    of the harness's code: it is dropped, before pytest-asyncio's own configure, only where the ini is unset."""
    if not config.getini("asyncio_default_fixture_loop_scope"):
        warnings.filterwarnings("ignore", message=ASYNCIO_SCOPE_UNSET, category=pytest.PytestDeprecationWarning)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mocked: runs against an in-process emulator (offline, seconds)")
    config.addinivalue_line("markers", "live: runs against a real backend (container, process or URL)")
    config.addinivalue_line("markers", "feature(id): the capability-matrix column this scenario decides")
    hooks = config.stash[HOOKS_KEY] = Hooks(config)
    config.pluginmanager.register(hooks, "agents-compat")
    if config.getoption("backend") and not hasattr(config, "workerinput"):
        # naming a row says this session runs scenarios: one it cannot run fails it now, with one line
        session = hooks.start()
        if session is None:
            raise pytest.UsageError(hooks.start_error)
        session.check_named_rows()


class Hooks:
    """The plugin's hooks for one pytest run, registered at configure time as pytest's own plugins are.

    Until the run asks for the harness there is no session and every hook returns at once; ``start`` makes
    the one CompatSession of the run, or keeps why it could not (a bad profile file, raised once collection
    is done).
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.session: CompatSession | None = None
        self.start_error: str | None = None

    def start(self) -> CompatSession | None:
        if self.session is None and self.start_error is None:
            from .config.profiles import ProfileError
            from .session.state import CompatSession

            try:
                self.session = CompatSession.start(self.config)
            except ProfileError as exc:
                # Raised here, inside collection, it would be one collection error per module:
                # pytest_collection_finish raises it as a usage error instead, one line.
                self.start_error = str(exc)
        return self.session

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "backend" not in metafunc.fixturenames:
            return
        session = self.start()
        if session is None:
            return  # a bad profile file: pytest_collection_finish says so
        from .session.collection import parametrize

        parametrize(metafunc, session.profiles, self.config.getoption("compat_repeat"))

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if self.session is not None:
            from .session.collection import check_left_out

            check_left_out(config, items, self.session.profiles, self.session.explicit)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.start_error is not None:
            raise pytest.UsageError(self.start_error)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        if self.session is not None:
            self.session.reported(item, call, report)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        if self.session is None:
            return None
        from .session.judge import not_applicable

        return not_applicable(pyfuncitem)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.session is not None:
            self.session.finish(session, exitstatus)

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        if self.session is not None:
            self.session.show(terminalreporter)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-xdist: a finished worker's cells, merged into this controller's session."""
        sent = workers.sent_by(node)
        if sent is not None and (session := self.start()) is not None:
            session.merge_worker(sent)

    def pytest_keyboard_interrupt(self) -> None:
        if self.session is not None:
            self.session.close()  # Ctrl-C: at once, not after pytest has rendered the interrupted session

    def pytest_unconfigure(self) -> None:
        if self.session is not None:
            self.session.end()


HOOKS_KEY = pytest.StashKey[Hooks]()


def _session(config: pytest.Config) -> CompatSession:
    """The run's session: a fixture below runs only in a scenario, which pytest_generate_tests parametrized."""
    session = config.stash[HOOKS_KEY].session
    if session is None:
        raise pytest.UsageError("the backend and judge fixtures serve the harness's scenarios only")
    return session


@pytest.fixture
def compat_run() -> tuple[int, int]:
    """(this run, of how many); parametrized per profile by pytest_generate_tests."""
    return (0, 1)


@pytest_asyncio.fixture(loop_scope="session")
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """The scenario's row, connected (agents_compat/session/connect.py)."""
    from .session.connect import connected

    async with connected(request, _session(request.config)) as connected_backend:
        yield connected_backend


@pytest.fixture
def judge(
    request: pytest.FixtureRequest,
    backend: Backend,
    compat_run: tuple[int, int],
    record_property: Callable[[str, Any], None],
) -> Callable[..., Cell]:
    """Record the cell for this (backend, feature) and fail if it differs from the profile's declaration
    (agents_compat/session/judge.py)."""
    from .session.judge import judge_for

    return judge_for(request, _session(request.config), backend, compat_run, record_property)
