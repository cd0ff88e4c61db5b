"""The pytest plugin: backend options, one parametrized ``backend`` per profile, verdicts, reports.

Registered through the ``pytest11`` entry point, so any project that installs the package can run
the scenario suites (``pytest --pyargs suites``) against its own profiles.
"""

from __future__ import annotations

import importlib.metadata
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from . import options

# Spelled out, not imported: profiles and wire would cost every pytest run (tests/test_idle.py checks they agree).
DEFAULT_USER_FILE = "compat-backends.toml"  # profiles.DEFAULT_USER_FILE
DEFAULT_MAX_BODY = 8 * 1024 * 1024  # wire.DEFAULT_MAX_BODY


def _import_heavy() -> None:
    """Import the SDK and the harness's modules, once a session collects a scenario.

    The plugin is registered in every pytest run of a project that installs the package; importing
    ``agents`` alone costs seconds, so the hooks below find these names as module globals only after
    ``_start`` ran, and every hook that can run before that checks ``_started`` first.
    """
    global agreement, atomic, cassettes, diff, readiness, render, repeat, reports, selection, verdict, FEATURE_IDS
    global endpoint_for
    global secrets_of, outbound, ProcessPool, LaunchFailed, ServerPool, server_secrets, Matrix, Cell, Observation
    global Outcome, Profile, ProfileError, load_profiles, load_servers, cell_deviations, scrub
    global Backend, scrubbing_log_records, health, MissingPrerequisite, FEATURES_BY_ID
    from . import agreement, atomic, cassettes, diff, health, readiness, render, repeat, reports, selection, verdict
    from .backend import Backend
    from .features import BY_ID as FEATURES_BY_ID
    from .features import FEATURE_IDS
    from .launchers import endpoint_for, outbound, secrets_of
    from .launchers.process import ProcessPool
    from .launchers.servers import LaunchFailed, ServerPool, server_secrets
    from .matrix import Matrix
    from .outcomes import Cell, Observation, Outcome
    from .prerequisites import MissingPrerequisite
    from .profiles import Profile, ProfileError, load_profiles, load_servers
    from .redact import scrub, scrubbing_log_records
    from .strict import cell_deviations


MATRIX_KEY = pytest.StashKey["Matrix"]()
PROFILES_KEY = pytest.StashKey["list[Profile]"]()
AGENTS_KEY = pytest.StashKey["list[readiness.AgentSpec]"]()
BASELINE_KEY = pytest.StashKey["tuple[Path, dict[str, Any]] | None"]()
REPORT_KEY = pytest.StashKey[dict[str, Any]]()
DIFF_KEY = pytest.StashKey["diff.Diff"]()
PROCESSES_KEY = pytest.StashKey["ProcessPool"]()
SERVERS_KEY = pytest.StashKey["ServerPool"]()
OUTBOUND_KEY = pytest.StashKey[str]()
START_ERROR_KEY = pytest.StashKey[str]()
EXPLICIT_KEY = pytest.StashKey[set[str]]()  # rows named exactly with --backend (harness/selection.py)
HEALTH_KEY = pytest.StashKey[dict[str, Any]]()  # live rows: name -> health.Health
NOT_ANSWERING_KEY = pytest.StashKey[str]()  # on a test item: its row's backend had stopped answering


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("agents-compat", "Agents SDK backend compatibility")
    group.addoption(
        "--backends",
        action="append",
        default=[],
        metavar="FILE",
        help=f"extra profiles TOML (repeatable); {DEFAULT_USER_FILE} in the rootdir is read by default",
    )
    group.addoption(
        "--backend",
        action="append",
        default=[],
        metavar="NAME",
        help="run only these profiles (repeatable or comma-separated)",
    )
    group.addoption(
        "--compat-report-dir",
        default=None,
        metavar="DIR",
        help="where compat-matrix.json, .md and .html are written (default: rootdir)",
    )
    group.addoption(
        "--compat-agent",
        action="append",
        default=[],
        metavar="SPEC",
        help="an agent's features, e.g. 'support-bot:function_tools,handoffs,streaming' (repeatable); "
        "[agents.NAME] tables in the backends files count too",
    )
    group.addoption(
        "--compat-fail-not-ready",
        action="store_true",
        default=False,
        help="fail the session when an agent you described is NOT READY on a backend of the run",
    )
    group.addoption(
        "--compat-repeat",
        type=int,
        default=1,
        metavar="K",
        help="run each live cell K times and fold the runs into one outcome with its pass rate (README)",
    )
    group.addoption(
        "--compat-baseline",
        default=None,
        metavar="FILE",
        help="a matrix report to compare with at session end; a lost capability fails the session "
        "(default: the compat_baseline ini value)",
    )
    group.addoption(
        "--compat-matrix",
        choices=["auto", "full", "rows"],
        default="auto",
        help="terminal matrix: full (with legend), rows (one line per backend); auto is rows under -q",
    )
    group.addoption(
        "--compat-cassettes",
        default=None,
        metavar="DIR",
        help="write each live row's exchanges (keys redacted) as DIR/<profile>/<feature>.json, to test the "
        "emulators against (tests/test_cassettes.py reads fixtures/cassettes)",
    )
    parser.addini("compat_baseline", "baseline matrix report, relative to the ini file", default="")
    group.addoption(
        "--compat-faults",
        action="store_true",
        default=False,
        help="also run the built-in fault profiles (harness/faults.toml): broken streams, bodies and connections",
    )
    group.addoption(
        "--compat-timeout",
        type=options.seconds,
        default=None,
        metavar="SECONDS",
        help="per-run timeout (default 10 s for emulators, 120 s for live backends)",
    )
    group.addoption(
        "--compat-max-body",
        type=options.byte_size,
        default=DEFAULT_MAX_BODY,
        metavar="BYTES",
        help="the most a response body or stream may hold (e.g. 8M, 512K); a larger one is cut and its cell "
        "is broken (default 8M)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mocked: runs against an in-process emulator (offline, seconds)")
    config.addinivalue_line("markers", "live: runs against a real backend (container, process or URL)")
    config.addinivalue_line("markers", "feature(id): the capability-matrix column this scenario decides")
    if config.getoption("backend") and not hasattr(config, "workerinput"):
        _check_named_rows(config)


def _names(config: pytest.Config) -> list[str]:
    return [n.strip() for opt in config.getoption("backend") for n in opt.split(",") if n.strip()]


def _check_named_rows(config: pytest.Config) -> None:
    """Rows named with --backend: a session that would not run one of them fails now, with one line."""
    _start(config)  # naming a row says this session runs scenarios
    if not _started(config):
        raise pytest.UsageError(config.stash[START_ERROR_KEY])
    for row in selection.explicit(_names(config), config.stash[PROFILES_KEY]):
        why = selection.cannot_run(row)
        if why:
            raise pytest.UsageError(f"--backend {row.name}: cannot run: {why}")


def _started(config: pytest.Config) -> bool:
    return PROFILES_KEY in config.stash


def _start(config: pytest.Config) -> None:
    """Everything a session that runs scenarios needs, and its process-wide effects: only such sessions pay."""
    if _started(config) or START_ERROR_KEY in config.stash:
        return
    _import_heavy()
    files = [Path(f) for f in config.getoption("backends")]
    default_file = Path(config.rootpath) / DEFAULT_USER_FILE
    if default_file.is_file():
        files.insert(0, default_file)
    names = _names(config)
    try:
        if config.getoption("compat_repeat") < 1:
            raise ProfileError(f"--compat-repeat must be 1 or more (got {config.getoption('compat_repeat')})")
        profiles = selection.select_rows(load_profiles(files, include_faults=config.getoption("compat_faults")), names)
        sdk_release = importlib.metadata.version("openai-agents")
        profiles = [p.for_sdk(sdk_release) for p in profiles]  # what each backend does with this SDK release
        servers = load_servers(files)
        agents = readiness.load_agents(files)
        agents += [readiness.parse_spec(spec, n) for n, spec in enumerate(config.getoption("compat_agent"), 1)]
        baseline = _baseline(config)
        if config.getoption("compat_report_dir"):
            try:
                options.report_dir(config.getoption("compat_report_dir"), "--compat-report-dir")
            except ValueError as exc:
                raise ProfileError(str(exc)) from None
    except ProfileError as exc:
        # Raised here, inside collection, it would be one collection error per module: pytest_collection_finish
        # raises it as a usage error instead, one line.
        config.stash[START_ERROR_KEY] = str(exc)
        return
    config.stash[AGENTS_KEY] = agents
    config.stash[PROFILES_KEY] = profiles
    config.stash[EXPLICIT_KEY] = {row.name for row in selection.explicit(names, profiles)}
    config.stash[MATRIX_KEY] = Matrix(profiles={p.name: p for p in profiles})
    config.stash[BASELINE_KEY] = baseline
    config.stash[PROCESSES_KEY] = ProcessPool()
    config.stash[SERVERS_KEY] = ServerPool(servers)
    every_key = {key for profile in profiles for key in _secrets(config, profile)}
    reaper = _ProcessReaper(config.stash[PROCESSES_KEY], config.stash[SERVERS_KEY], scrubbing_log_records(every_key))
    config.pluginmanager.register(reaper, "agents-compat-processes")
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        # `timeout`, CI runners and `kill` send SIGTERM, which by default ends Python without any teardown:
        # unwind as for Ctrl-C instead, so servers and containers are stopped.
        signal.signal(signal.SIGTERM, _interrupt)
    from agents import set_tracing_disabled

    set_tracing_disabled(True)  # traces would go to OpenAI's servers, whatever the backend


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A row named with --backend that -m left out entirely: say so, rather than "N deselected" and exit 5."""
    if not _started(config) or not config.option.markexpr:
        return
    callspecs = [getattr(item, "callspec", None) for item in items]
    rows = [spec.params["backend"] for spec in callspecs if spec is not None and "backend" in spec.params]
    kept = {row.name for row in rows} | {row.twin for row in rows if row.twin}  # `-m live --backend X` runs X@live
    for row in config.stash[PROFILES_KEY]:
        if row.name in config.stash[EXPLICIT_KEY] and row.name not in kept:
            raise pytest.UsageError(
                f"--backend {row.name}: -m {config.option.markexpr!r} leaves out this {row.tier} row: "
                f"add -m {row.tier} (or -m 'mocked or live')"
            )


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    error = session.config.stash.get(START_ERROR_KEY, None)
    if error is not None:
        raise pytest.UsageError(error)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


class _ProcessReaper:
    """Stops the session's processes and containers however it ends: passed, failed, or interrupted."""

    def __init__(self, processes: ProcessPool, servers: ServerPool, undo_log_scrubbing: Callable[[], None]):
        self.processes = processes
        self.servers = servers
        self.undo_log_scrubbing = undo_log_scrubbing

    def pytest_keyboard_interrupt(self) -> None:
        self.close()  # Ctrl-C: at once, not after pytest has rendered the interrupted session

    def pytest_unconfigure(self) -> None:
        self.close()
        self.undo_log_scrubbing()
        if signal.getsignal(signal.SIGTERM) is _interrupt:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def close(self) -> None:
        self.processes.close()
        self.servers.close()


def _baseline(config: pytest.Config) -> tuple[Path, dict[str, Any]] | None:
    given = config.getoption("compat_baseline")
    ini = config.getini("compat_baseline")
    if given:
        path = Path(given)
    elif ini:
        path = (config.inipath.parent if config.inipath else config.rootpath) / ini
    else:
        return None
    try:
        return path, diff.load(path)
    except diff.ReportError as exc:
        raise ProfileError(f"--compat-baseline: {exc}") from None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    _start(metafunc.config)
    if not _started(metafunc.config):
        return  # a bad profile file: pytest_collection_finish says so
    marker = metafunc.definition.get_closest_marker("feature")
    if marker is None or not marker.args or marker.args[0] not in FEATURE_IDS:
        raise pytest.UsageError(
            f"{metafunc.definition.nodeid}: a scenario needs @pytest.mark.feature(<one of {', '.join(FEATURE_IDS)}>)"
        )
    repeat = metafunc.config.getoption("compat_repeat")
    params = []
    for profile in metafunc.config.stash[PROFILES_KEY]:
        runs = repeat if profile.tier == "live" else 1  # emulators are deterministic: once is enough
        for run in range(runs):
            label = profile.name if runs == 1 else f"{profile.name}-run{run + 1}"
            params.append(pytest.param(profile, (run, runs), id=label, marks=[getattr(pytest.mark, profile.tier)]))
    metafunc.parametrize(("backend", "compat_run"), params, indirect=["backend"])


@pytest.fixture
def compat_run() -> tuple[int, int]:
    """(this run, of how many); parametrized per profile by pytest_generate_tests."""
    return (0, 1)


def _timeout(config: pytest.Config, profile: Profile) -> float:
    given = config.getoption("compat_timeout")
    if given is not None:
        return given
    if profile.timeout is not None:
        return profile.timeout
    return 10.0 if profile.tier == "mocked" else 120.0


@pytest_asyncio.fixture(loop_scope="session")
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    profile: Profile = request.param
    stash = request.config.stash
    async with _endpoint(request.config, profile) as endpoint:
        if endpoint.version:
            stash[MATRIX_KEY].versions[profile.name] = endpoint.version
        if endpoint.model:  # a URL profile told its model by an environment variable
            profile = profile.model_copy(update={"model": endpoint.model})
        connected = Backend(
            profile,
            endpoint.base_url,
            _guarded(request, profile, endpoint.transport),
            api_key=endpoint.api_key,
            timeout=_timeout(request.config, profile),
            faults=endpoint.faults,
            server_logs=endpoint.logs,
            max_body=request.config.getoption("compat_max_body"),
        )
        try:
            yield connected
        finally:
            await connected.aclose()


def _guarded(request: pytest.FixtureRequest, profile: Profile, transport: Any) -> Any:
    """A live row's transport, failing fast once its backend stopped answering (harness/health.py)."""
    if profile.tier != "live":
        return transport
    state = request.config.stash.setdefault(HEALTH_KEY, {}).setdefault(profile.name, health.Health())
    if state.dead:
        request.node.stash[NOT_ANSWERING_KEY] = state.reason
    return health.GuardedTransport(transport, state)


@asynccontextmanager
async def _endpoint(config: pytest.Config, profile: Profile) -> AsyncIterator[Any]:
    """``endpoint_for``, except that a row the user named never skips: the session stops, with one line why."""
    stash = config.stash
    entered = False
    try:
        async with endpoint_for(profile, stash[PROCESSES_KEY], stash[SERVERS_KEY]) as endpoint:
            entered = True
            yield endpoint
    except MissingPrerequisite as missing:
        if entered:
            raise
        if profile.name not in stash[EXPLICIT_KEY]:
            pytest.skip(str(missing))
        why = str(missing).removeprefix(f"{profile.name}: ")
        pytest.exit(f"--backend {profile.name}: cannot run: {why}", returncode=pytest.ExitCode.TESTS_FAILED)


@pytest.fixture
def judge(
    request: pytest.FixtureRequest,
    backend: Backend,
    compat_run: tuple[int, int],
    record_property: Callable[[str, Any], None],
) -> Callable[..., Cell]:
    """Record the cell for this (backend, feature) and fail if it differs from the profile's declaration.

    The cell keeps the exchanges of the backend's runs and calls (``Backend.records``), so a scenario hands
    over its observation only. The one live/mocked rule is applied here
    (``Observation.on_tier``): a classifier never knows the tier. A repeated live cell records each run; the
    last run folds them (harness/repeat.py) and judges that.
    """
    feature = request.node.get_closest_marker("feature").args[0]
    profile = backend.profile
    run, runs = compat_run
    secrets = _secrets(request.config, profile)
    started = time.perf_counter()

    def verdict(observation: Observation) -> Cell:
        observation = observation.on_tier(profile.tier)
        not_answering = request.node.stash.get(NOT_ANSWERING_KEY, None)
        if not_answering and observation.outcome is not Outcome.SKIPPED:  # its requests were never sent
            observation = Observation(Outcome.ERROR, not_answering)
        exchanges = [e for record in backend.records for e in record.exchanges]
        matrix = request.config.stash[MATRIX_KEY]
        history = matrix.runs.setdefault((profile.name, feature), [])
        history.append(observation)
        if runs > 1:
            observation = repeat.fold(history)
        cell = Cell(
            backend=profile.name,
            feature=feature,
            tier=profile.tier,
            outcome=observation.outcome,
            reason=scrub(observation.reason, secrets),  # a 401 may echo the key it refused
            expected=profile.expect.get(feature),
            exchanges=[e.to_json() for e in exchanges],
            seconds=time.perf_counter() - started,
            strict=[scrub(line, secrets) for line in cell_deviations(exchanges)],
            runs=repeat.stats(history) if runs > 1 else None,
            server_logs=_logs_if_failed(backend, observation.outcome, secrets),
        )
        matrix.add(profile, cell)
        for name, value in _properties(cell):
            record_property(name, value)
        if run + 1 < runs:  # judged once, on the folded outcome of the last run
            return cell
        if cell.outcome is Outcome.INCONCLUSIVE and not cell.as_expected:
            # The model, not the backend, fell short: neither a pass nor a protocol failure.
            pytest.xfail(f"inconclusive: {cell.reason}")
        if not cell.as_expected:
            pytest.fail(render.failure_message(cell), pytrace=False)
        if profile.strict == "clean" and cell.strict:
            pytest.fail(render.strict_failure_message(cell), pytrace=False)
        return cell

    return verdict


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A feature that does not apply to this row (harness/features.py): its cell is skipped, its scenario never runs."""
    judge, backend = pyfuncitem.funcargs.get("judge"), pyfuncitem.funcargs.get("backend")
    marker = pyfuncitem.get_closest_marker("feature")
    if not _started(pyfuncitem.config) or judge is None or not isinstance(backend, Backend) or marker is None:
        return None
    why = FEATURES_BY_ID[marker.args[0]].not_applicable(backend.profile.api, backend.profile.model)
    if why is None:
        return None
    judge(Observation(Outcome.SKIPPED, why))
    return True


def _secrets(config: pytest.Config, profile: Profile) -> tuple[str, ...]:
    """The profile's keys, and the keys its launched server was given for its upstream."""
    servers = config.stash[SERVERS_KEY].servers
    spec = servers.get(profile.server) if profile.server else None
    return secrets_of(profile) + (server_secrets(spec) if spec else ())


def _logs_if_failed(backend: Backend, outcome: Outcome, secrets: tuple[str, ...]) -> str:
    """A launched server's log tail, kept with the cell when the infrastructure or the protocol failed."""
    if backend.server_logs is None or outcome not in (Outcome.ERROR, Outcome.BROKEN):
        return ""
    return scrub(backend.server_logs(), secrets)


def _properties(cell: Cell) -> list[tuple[str, str]]:
    """The cell as JUnit properties, so CI tools can read the matrix from the XML alone."""
    return [
        ("backend", cell.backend),
        ("feature", cell.feature),
        ("outcome", cell.outcome.value),
        ("expected", cell.expected.value if cell.expected else ""),
        ("reason", cell.reason),
    ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if not _started(item.config):
        return report
    callspec = getattr(item, "callspec", None)
    profile = callspec.params.get("backend") if callspec else None
    if not isinstance(profile, Profile):
        return report
    secrets = _secrets(item.config, profile)
    _scrub_report(report, secrets)
    marker = item.get_closest_marker("feature")
    if report.failed and marker and call.excinfo is not None:
        matrix = item.config.stash[MATRIX_KEY]
        if not matrix.has(profile.name, marker.args[0]):  # the scenario itself crashed before its verdict
            error = call.excinfo.value
            first_line = scrub((str(error).splitlines() or [""])[0][:160], secrets)
            reason = f"scenario crashed: {call.excinfo.typename}: {first_line}"
            logs = ""
            if isinstance(error, LaunchFailed):  # a server that exists but would not come up
                reason, logs = f"server did not start: {first_line}", scrub(error.logs, secrets)
            cell = Cell(
                profile.name,
                marker.args[0],
                profile.tier,
                Outcome.ERROR,
                reason,
                profile.expect.get(marker.args[0]),
                server_logs=logs,
            )
            matrix.add(profile, cell)
            # junitxml reads the teardown report's properties, which pytest copies from the item.
            item.user_properties.extend(_properties(cell))
    return report


def _scrub_report(report: pytest.TestReport, secrets: tuple[str, ...]) -> None:
    """Failure text and captured output feed the terminal and JUnit XML: no key may pass through them."""
    if not secrets:
        return
    if isinstance(report.longrepr, tuple):  # a skip's (path, line, reason): -rs and -ra fold skips by that shape
        path, line, reason = report.longrepr
        report.longrepr = (path, line, scrub(reason, secrets))
    elif report.longrepr is not None:
        text = str(report.longrepr)
        scrubbed = scrub(text, secrets)  # keys in any spelling, so no cheap "in" test first
        if scrubbed != text:
            report.longrepr = scrubbed
    report.sections = [(title, scrub(content, secrets)) for title, content in report.sections]


def _check_outbound(session: pytest.Session) -> None:
    """Fail a session whose launched servers tried to reach off the machine (README, "Live tier").

    Runs before the pools stop their servers (at unconfigure), while every log can still be read.
    """
    config = session.config
    pools = (config.stash.get(PROCESSES_KEY, None), config.stash.get(SERVERS_KEY, None))
    attempts = [attempt for pool in pools if pool is not None for attempt in pool.outbound_attempts()]
    if not attempts:
        return
    secrets = tuple(s for profile in config.stash.get(PROFILES_KEY, []) for s in _secrets(config, profile))
    config.stash[OUTBOUND_KEY] = scrub(outbound.render(attempts), secrets)
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _check_outbound(session)
    config = session.config
    if config.stash.get(OUTBOUND_KEY, "") and session.exitstatus == pytest.ExitCode.OK:  # xdist workers' too
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller judges the whole session
        _send_to_controller(config)
        return
    matrix = config.stash.get(MATRIX_KEY, None)
    if not matrix or not matrix.cells:
        return
    report = config.stash[REPORT_KEY] = reports.marked(matrix.to_json(), exitstatus, len(matrix.cells))
    report["readiness"] = [
        readiness.to_json(agent, readiness.assess(agent, matrix)) for agent in config.stash[AGENTS_KEY]
    ]
    baseline = config.stash.get(BASELINE_KEY, None)
    report["mocked_vs_live"] = [c.to_json() for c in agreement.compare(matrix, baseline[1] if baseline else None)]
    found = None
    if baseline is not None:
        found = config.stash[DIFF_KEY] = diff.compare(baseline[1], report)
    # Tests pass when a cell matches its profile; a loss against the baseline must fail the run even
    # when the profile was changed to match it.
    if found and found.lost and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    _add_verdict(session, report, found)


def _add_verdict(session: pytest.Session, report: dict[str, Any], found: diff.Diff | None) -> None:
    """The one-line verdict every report opens with (harness/verdict.py); NOT READY fails only when asked."""
    config = session.config
    fail_not_ready = config.getoption("compat_fail_not_ready")
    failed = session.exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED)
    found_verdict = verdict.build(report, found, failed=failed, fail_not_ready=fail_not_ready)
    if fail_not_ready and found_verdict["not_ready"] and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    head = {key: report[key] for key in ("interrupted",) if key in report}  # still the very first entry
    config.stash[REPORT_KEY] = {**head, "verdict": found_verdict, **report}


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    attempts = config.stash.get(OUTBOUND_KEY, None)
    if attempts:
        terminalreporter.write_sep("!", "launched servers tried to reach off this machine: the session fails", red=True)
        terminalreporter.write_line(attempts, red=True)
    matrix = config.stash.get(MATRIX_KEY, None)
    report = config.stash.get(REPORT_KEY, None)
    if not matrix or report is None:
        return
    style = config.getoption("compat_matrix")
    rows_only = style == "rows" or (style == "auto" and config.option.verbose < 0)
    if not rows_only:
        terminalreporter.write_sep("=", "Agents SDK compatibility matrix")
    paint = reports.painter(config.get_terminal_writer())
    terminalreporter.write_line(render.terminal(matrix, rows_only=rows_only, paint=paint))
    for line in render.undeclared(matrix):
        terminalreporter.write_line(f"undeclared: {line}", yellow=True)
    if not rows_only:
        terminalreporter.write_line(render.strict_grid(matrix))
        for entry in report["readiness"]:
            terminalreporter.write_line("\n".join(readiness.render_text(entry)))
    cassette_dir = config.getoption("compat_cassettes")
    held: list[str] = []
    if cassette_dir:
        with atomic.signals_held() as held:
            written = cassettes.write(Path(cassette_dir), report)
        terminalreporter.write_line(f"cassettes: {len(written)} live cells written under {cassette_dir}")
    if report["mocked_vs_live"]:
        terminalreporter.write_sep("-", "mocked vs live")
        terminalreporter.write_line(agreement.render_json(report["mocked_vs_live"]))
    out = Path(config.getoption("compat_report_dir") or config.rootpath)
    with atomic.signals_held() as arrived:  # a Ctrl-C now would leave no report: finish them first
        reports.write(out, matrix, report)
    arrived += held
    terminalreporter.write_line(
        f"matrix: {len(matrix.cells)} cells written to {_shown(out)}: compat-matrix.json, .md and .html"
    )
    if arrived:
        terminalreporter.write_line(f"{arrived[0]} while the reports were written: they were finished first", red=True)
        terminalreporter._session.exitstatus = pytest.ExitCode.INTERRUPTED
    found = config.stash.get(DIFF_KEY, None)
    baseline = config.stash.get(BASELINE_KEY, None)
    if found is not None and baseline is not None:
        terminalreporter.write_sep("-", f"compared with the baseline {_shown(baseline[0])}")
        for line in diff.render(found).splitlines():
            terminalreporter.write_line(line, red=line.startswith("lost"), green=line.startswith("gained"))
        if found.lost:
            terminalreporter.write_line(f"baseline: {len(found.lost)} lost: the session fails", red=True, bold=True)
    passed = report["verdict"]["passed"]
    terminalreporter.write_line(verdict.line(report["verdict"]), green=passed, red=not passed, bold=True)


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when under it (no machine paths)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _send_to_controller(config: pytest.Config) -> None:
    matrix = config.stash.get(MATRIX_KEY, None)
    if matrix is None or not matrix.cells:
        return
    config.workeroutput["agents_compat"] = {  # type: ignore[attr-defined]
        "cells": [cell.to_json() for cell in matrix.cells.values()],
        "models": {name: matrix.profiles[name].model for name in matrix.backends},
        "versions": matrix.versions,
        "outbound": config.stash.get(OUTBOUND_KEY, ""),
    }


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: merge a finished worker's cells, so verdicts, the matrix and reports cover every worker."""
    sent = getattr(node, "workeroutput", {}).get("agents_compat")
    config = node.config
    if not sent:
        return
    _start(config)
    if not _started(config):
        return
    matrix = config.stash[MATRIX_KEY]
    for data in sent["cells"]:
        cell = Cell.from_json(data)
        profile = matrix.profiles[cell.backend]
        if sent["models"].get(cell.backend, profile.model) != profile.model:  # a URL profile's model_env
            profile = profile.model_copy(update={"model": sent["models"][cell.backend]})
        matrix.add(profile, cell)
    matrix.versions.update(sent["versions"])
    if sent["outbound"]:
        config.stash[OUTBOUND_KEY] = "\n".join(filter(None, [config.stash.get(OUTBOUND_KEY, ""), sent["outbound"]]))
