"""The pytest plugin: backend options, one parametrized ``backend`` per profile, verdicts, reports.

Registered through the ``pytest11`` entry point, so any project that installs the package can run
the scenario suites (``pytest --pyargs suites``) against its own profiles.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import signal
import threading
import time
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from . import options
from .inert import inert

if TYPE_CHECKING:  # at run time these arrive with _import_heavy, once a session collects a scenario
    from . import (
        agreement,
        atomic,
        cassettes,
        health,
        readiness,
        repeat,
        selection,
        verdict,
    )
    from . import report as report_model
    from .backend import Backend
    from .features import BY_ID as FEATURES_BY_ID
    from .features import FEATURE_IDS
    from .launchers import endpoint_for, outbound, secrets_of
    from .launchers.process import ProcessPool
    from .launchers.servers import LaunchFailed, ServerPool, server_secrets
    from .matrix import Matrix
    from .outcomes import Cell, Observation, Outcome
    from .prerequisites import MissingPrerequisite
    from .profiles import Profile, ProfileError, load_catalog
    from .redact import scrub, scrubbing_log_records
    from .report import build as report_build
    from .report import diff, junit, terminal
    from .report import files as report_files
    from .strict import cell_deviations

# Spelled out, not imported: profiles and wire would cost every pytest run (tests/test_idle.py checks they agree).
DEFAULT_USER_FILE = "compat-backends.toml"  # profiles.DEFAULT_USER_FILE
DEFAULT_MAX_BODY = 8 * 1024 * 1024  # wire.DEFAULT_MAX_BODY
DEFAULT_REPORT_DIR = "compat-reports"  # a folder of its own, which `agents-compat init` adds to .gitignore


def _import_heavy() -> None:
    """Import the SDK and the harness's modules, once a session collects a scenario.

    The plugin is registered in every pytest run of a project that installs the package; importing
    ``agents`` alone costs seconds, so the hooks below find these names as module globals only after
    ``CompatSession.start`` ran, and every hook that can run before that checks ``started`` first.
    """
    global agreement, atomic, cassettes, diff, readiness, repeat, selection, verdict
    global FEATURE_IDS, endpoint_for, report_model, report_build, report_files, junit, terminal
    global secrets_of, outbound, ProcessPool, LaunchFailed, ServerPool, server_secrets, Matrix, Cell, Observation
    global Outcome, Profile, ProfileError, load_catalog, cell_deviations, scrub
    global Backend, scrubbing_log_records, health, MissingPrerequisite, FEATURES_BY_ID
    from . import (
        agreement,
        atomic,
        cassettes,
        health,
        readiness,
        repeat,
        selection,
        verdict,
    )
    from . import report as report_model
    from .backend import Backend
    from .features import BY_ID as FEATURES_BY_ID
    from .features import FEATURE_IDS
    from .launchers import endpoint_for, outbound, secrets_of
    from .launchers.process import ProcessPool
    from .launchers.servers import LaunchFailed, ServerPool, server_secrets
    from .matrix import Matrix
    from .outcomes import Cell, Observation, Outcome
    from .prerequisites import MissingPrerequisite
    from .profiles import Profile, ProfileError, load_catalog
    from .redact import scrub, scrubbing_log_records
    from .report import build as report_build
    from .report import diff, junit, terminal
    from .report import files as report_files
    from .strict import cell_deviations


STATE_KEY = pytest.StashKey["CompatSession"]()
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
        help=f"where compat-matrix.json, .md and .html are written (default: {DEFAULT_REPORT_DIR} in the rootdir)",
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
        help="run each live cell K times and fold the runs into one outcome with its pass rate (docs/live-tier.md)",
    )
    group.addoption(
        "--compat-allow-unconfirmed",
        action="store_true",
        default=False,
        help="a cell declared supported (or another answer) that comes back inconclusive warns instead of "
        "failing, on every row (a profile's `unconfirmed` table allows it per feature, with a reason)",
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
    state = config.stash[STATE_KEY] = CompatSession(config)
    config.pluginmanager.register(state, "agents-compat")
    if config.getoption("backend") and not hasattr(config, "workerinput"):
        state.check_named_rows()


def _state(config: pytest.Config) -> CompatSession:
    return config.stash[STATE_KEY]


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


class CompatSession:
    """The plugin's state for one pytest session, and the hooks that read and write it.

    Registered at configure time in every run (as pytest's junitxml and terminal reporter register theirs);
    it costs nothing until a session collects a scenario: then ``start`` imports the SDK, loads the profiles
    once, and opens the pools of servers. At session finish it builds the report (harness/report/build.py) and
    writes its files, whatever the terminal plugin does; the terminal summary only renders it.
    """

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = False
        self.start_error: str | None = None  # a bad profile file: raised once collection is done
        self.outbound = ""  # launched servers' attempts to reach off the machine, rendered
        self.health: dict[str, health.Health] = {}  # live rows: name -> whether its backend still answers
        self.report: report_model.Report | None = None  # built at session finish
        self.found: diff.Diff | None = None  # the report against the baseline
        self.cassettes: list[Path] = []  # written at session finish, with --compat-cassettes
        self.held: list[str] = []  # signals that arrived while the files were written
        self.written: report_files.Written | None = None  # where the report files went, and what failed
        self.cassettes_failed = ""  # why --compat-cassettes could not be written
        self._undo_log_scrubbing: Callable[[], None] | None = None

    # -- start: only sessions that run scenarios pay for it ------------------------------------------

    def names(self) -> list[str]:
        return [n.strip() for opt in self.config.getoption("backend") for n in opt.split(",") if n.strip()]

    def check_named_rows(self) -> None:
        """Rows named with --backend: a session that would not run one of them fails now, with one line."""
        self.start()  # naming a row says this session runs scenarios
        if not self.started:
            raise pytest.UsageError(self.start_error)
        for row in selection.explicit(self.names(), self.profiles):
            why = selection.cannot_run(row)
            if why:
                raise pytest.UsageError(f"--backend {row.name}: cannot run: {why}")

    def start(self) -> None:
        """Everything a session that runs scenarios needs, and its process-wide effects."""
        if self.started or self.start_error is not None:
            return
        _import_heavy()
        from .profiles import files_read

        config = self.config
        files = [Path(f) for f in config.getoption("backends")]
        default_file = Path(config.rootpath) / DEFAULT_USER_FILE
        if default_file.is_file():
            files.insert(0, default_file)
        names = self.names()
        try:
            if config.getoption("compat_repeat") < 1:
                raise ProfileError(f"--compat-repeat must be 1 or more (got {config.getoption('compat_repeat')})")
            catalog = load_catalog(files, include_faults=config.getoption("compat_faults"))  # each file read once
            sdk_release = importlib.metadata.version("openai-agents")
            # what each backend does with this SDK release
            read = files_read(files, default_file)  # an unknown name says which files were read
            profiles = [p.for_sdk(sdk_release) for p in selection.select_rows(catalog.profiles, names, read)]
            agents = readiness.agents_in(catalog.user_documents) + [
                readiness.parse_spec(spec, n) for n, spec in enumerate(config.getoption("compat_agent"), 1)
            ]
            baseline = self._baseline()
            if config.getoption("compat_report_dir"):
                try:
                    options.report_dir(config.getoption("compat_report_dir"), "--compat-report-dir")
                except ValueError as exc:
                    raise ProfileError(str(exc)) from None
        except ProfileError as exc:
            # Raised here, inside collection, it would be one collection error per module:
            # pytest_collection_finish raises it as a usage error instead, one line.
            self.start_error = str(exc)
            return
        self.agents = agents
        self.profiles = profiles
        self.explicit = {row.name for row in selection.explicit(names, profiles)}
        self.matrix = Matrix(profiles={p.name: p for p in profiles})
        self.defined_rows = set(selection.all_rows(catalog.profiles))  # selected or not: for the baseline diff
        self.baseline = baseline
        self.processes = ProcessPool()
        self.servers = ServerPool(catalog.servers)
        self.started = True
        every_key = {key for profile in profiles for key in self.secrets(profile)}
        self._undo_log_scrubbing = scrubbing_log_records(every_key)
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            # `timeout`, CI runners and `kill` send SIGTERM, which by default ends Python without any teardown:
            # unwind as for Ctrl-C instead, so servers and containers are stopped.
            signal.signal(signal.SIGTERM, _interrupt)
        from agents import set_tracing_disabled

        set_tracing_disabled(True)  # traces would go to OpenAI's servers, whatever the backend

    def _baseline(self) -> tuple[Path, report_model.Report] | None:
        config = self.config
        given = config.getoption("compat_baseline")
        ini = config.getini("compat_baseline")
        if given:
            path = Path(given)
        elif ini:
            path = (config.inipath.parent if config.inipath else config.rootpath) / ini
        else:
            return None
        try:
            return path, report_model.load(path)
        except report_model.ReportError as exc:
            raise ProfileError(f"--compat-baseline: {exc}") from None

    def secrets(self, profile: Profile) -> tuple[str, ...]:
        """The profile's keys, and the keys its launched server was given for its upstream."""
        spec = self.servers.servers.get(profile.server) if profile.server else None
        return secrets_of(profile) + (server_secrets(spec) if spec else ())

    # -- collection ---------------------------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "backend" not in metafunc.fixturenames:
            return
        self.start()
        if not self.started:
            return  # a bad profile file: pytest_collection_finish says so
        marker = metafunc.definition.get_closest_marker("feature")
        if marker is None or not marker.args or marker.args[0] not in FEATURE_IDS:
            known = ", ".join(FEATURE_IDS)
            where = metafunc.definition.nodeid
            raise pytest.UsageError(f"{where}: a scenario needs @pytest.mark.feature(<one of {known}>)")
        repeat = self.config.getoption("compat_repeat")
        params = []
        for profile in self.profiles:
            runs = repeat if profile.tier == "live" else 1  # emulators are deterministic: once is enough
            for run in range(runs):
                label = profile.name if runs == 1 else f"{profile.name}-run{run + 1}"
                params.append(pytest.param(profile, (run, runs), id=label, marks=[getattr(pytest.mark, profile.tier)]))
        metafunc.parametrize(("backend", "compat_run"), params, indirect=["backend"])

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """A row named with --backend that -m left out entirely: say so, rather than "N deselected" and exit 5."""
        if not self.started or not config.option.markexpr:
            return
        callspecs = [getattr(item, "callspec", None) for item in items]
        rows = [spec.params["backend"] for spec in callspecs if spec is not None and "backend" in spec.params]
        kept = {row.name for row in rows} | {row.twin for row in rows if row.twin}  # `-m live --backend X` runs X@live
        for row in self.profiles:
            if row.name in self.explicit and row.name not in kept:
                raise pytest.UsageError(
                    f"--backend {row.name}: -m {config.option.markexpr!r} leaves out this {row.tier} row: "
                    f"add -m {row.tier} (or -m 'mocked or live')"
                )

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.start_error is not None:
            raise pytest.UsageError(self.start_error)

    # -- cells ----------------------------------------------------------------------------------------

    def record(
        self,
        profile: Profile,
        feature: str,
        observation: Observation,
        *,
        exchanges: list[dict[str, Any]] | None = None,
        seconds: float = 0.0,
        strict: list[str] | None = None,
        runs: dict[str, Any] | None = None,
        server_logs: str = "",
        allowed: str = "",
    ) -> Cell:
        """The one place a cell is made: every text in it scrubbed of the row's keys, then put in the matrix."""
        secrets = self.secrets(profile)
        cell = Cell(
            backend=profile.name,
            feature=feature,
            tier=profile.tier,
            outcome=observation.outcome,
            reason=scrub(observation.reason, secrets),  # a 401 may echo the key it refused
            expected=profile.expect.get(feature),
            exchanges=exchanges or [],
            seconds=seconds,
            strict=[scrub(line, secrets) for line in strict or []],
            runs=runs,
            server_logs=scrub(server_logs, secrets) if server_logs else "",
            allowed=allowed,
        )
        self.matrix.add(profile, cell)
        return cell

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        if not self.started:
            return report
        callspec = getattr(item, "callspec", None)
        profile = callspec.params.get("backend") if callspec else None
        if not isinstance(profile, Profile):
            return report
        _scrub_report(report, self.secrets(profile))
        if report.skipped and profile.tier == "live":
            _fold_cannot_run(report, profile.name)
        marker = item.get_closest_marker("feature")
        if report.failed and marker and call.excinfo is not None:
            if not self.matrix.has(profile.name, marker.args[0]):  # the scenario itself crashed before its verdict
                error = call.excinfo.value
                first_line = (str(error).splitlines() or [""])[0][:160]
                reason = f"scenario crashed: {call.excinfo.typename}: {first_line}"
                logs = ""
                if isinstance(error, LaunchFailed):  # a server that exists but would not come up
                    reason, logs = f"server did not start: {first_line}", error.logs
                cell = self.record(profile, marker.args[0], Observation(Outcome.ERROR, reason), server_logs=logs)
                # junitxml reads the teardown report's properties, which pytest copies from the item.
                item.user_properties.extend(junit.properties(cell))
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        """A feature that does not apply to this row (harness/features.py): its cell is skipped, its scenario
        never runs."""
        judge, backend = pyfuncitem.funcargs.get("judge"), pyfuncitem.funcargs.get("backend")
        marker = pyfuncitem.get_closest_marker("feature")
        if not self.started or not callable(judge) or not isinstance(backend, Backend) or marker is None:
            return None
        why = FEATURES_BY_ID[marker.args[0]].not_applicable(backend.profile.api, backend.profile.model)
        if why is None:
            return None
        judge(Observation(Outcome.SKIPPED, why))
        return True

    # -- session finish: the report, built once and written whatever the terminal plugin does ----------

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._check_outbound(session)
        if self.outbound and session.exitstatus == pytest.ExitCode.OK:  # xdist workers' too
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if hasattr(self.config, "workerinput"):  # a pytest-xdist worker: the controller judges the whole session
            self._send_to_controller()
            return
        if not self.started or not self.matrix.cells:
            return
        fail_not_ready = self.config.getoption("compat_fail_not_ready")
        report, found = report_build.build(
            self.matrix,
            agents=self.agents,
            baseline=self.baseline[1] if self.baseline else None,
            interrupted=exitstatus == pytest.ExitCode.INTERRUPTED,  # Ctrl-C, or SIGTERM (turned into one)
            failed=session.exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED),
            fail_not_ready=fail_not_ready,
            defined_backends=self.defined_rows,
        )
        # Tests pass when a cell matches its profile; a loss against the baseline must fail the run even
        # when the profile was changed to match it. NOT READY fails only when asked.
        lost = found is not None and found.lost
        not_ready = fail_not_ready and report.verdict.not_ready
        if (lost or not_ready) and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.report, self.found = report, found
        cassette_dir = self.config.getoption("compat_cassettes")
        with atomic.signals_held() as held:  # a Ctrl-C now would leave no report: finish them first
            # A folder gone unwritable or a full disk must cost the files, not the matrix and verdict: the
            # failure is one terminal line, and the reports go to a temporary folder that line names.
            every_key = {key for profile in self.profiles for key in self.secrets(profile)}
            self.written = report_files.write_or_recover(Path(_shown(self.report_dir())), report, every_key)
            if cassette_dir:
                try:
                    self.cassettes = cassettes.write(Path(cassette_dir), report)
                except OSError as exc:
                    self.cassettes_failed = (
                        f"the cassettes could not be written to {cassette_dir} ({exc.strerror or exc}); "
                        "`python -m harness cassettes REPORT.json DIR` makes them from the JSON report"
                    )
        self.held = held
        if held:
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        failed_to_write = self.written.problem or self.cassettes_failed
        if failed_to_write and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def report_dir(self) -> Path:
        return Path(self.config.getoption("compat_report_dir") or Path(self.config.rootpath) / DEFAULT_REPORT_DIR)

    def _check_outbound(self, session: pytest.Session) -> None:
        """Fail a session whose launched servers tried to reach off the machine (docs/live-tier.md).

        Runs before the pools stop their servers (at unconfigure), while every log can still be read.
        """
        if not self.started:
            return
        attempts = [attempt for pool in (self.processes, self.servers) for attempt in pool.outbound_attempts()]
        if not attempts:
            return
        secrets = tuple(s for profile in self.profiles for s in self.secrets(profile))
        self.outbound = scrub(outbound.render(attempts), secrets)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        """The report as terminal lines: nothing here writes a file."""
        if self.outbound:
            terminalreporter.write_sep(
                "!", "launched servers tried to reach off this machine: the session fails", red=True
            )
            terminalreporter.write_line(inert(self.outbound, lines=True), red=True)
        report = self.report
        if report is None:
            return
        style = config.getoption("compat_matrix")
        rows_only = style == "rows" or (style == "auto" and config.option.verbose < 0)
        if not rows_only:
            terminalreporter.write_sep("=", "Agents SDK compatibility matrix")
        paint = terminal.painter(config.get_terminal_writer())
        terminalreporter.write_line(terminal.terminal(report, rows_only=rows_only, paint=paint))
        for line in terminal.undeclared(report):
            terminalreporter.write_line(f"undeclared: {line}", yellow=True)
        if not rows_only:
            terminalreporter.write_line(terminal.strict_grid(report))
            for entry in report.readiness:
                terminalreporter.write_line("\n".join(terminal.readiness_lines(entry)))
        cassette_dir = config.getoption("compat_cassettes")
        if cassette_dir and not self.cassettes_failed:
            terminalreporter.write_line(f"cassettes: {len(self.cassettes)} live cells written under {cassette_dir}")
        if report.mocked_vs_live:
            terminalreporter.write_sep("-", "mocked vs live")
            terminalreporter.write_line(agreement.render(report.mocked_vs_live))
        files = "compat-matrix.json, .md and .html"
        written = self.written
        if written is not None and written.folder is not None:
            terminalreporter.write_line(f"matrix: {len(report.cells)} cells written to {written.folder}: {files}")
        problems = "; ".join(filter(None, [written.problem if written else "", self.cassettes_failed]))
        if problems:  # one line: what could not be written, why, and where it went instead
            terminalreporter.write_line(f"reports: {inert(problems)}", red=True, bold=True)
        if self.held:
            terminalreporter.write_line(
                f"{self.held[0]} while the reports were written: they were finished first", red=True
            )
        if self.found is not None and self.baseline is not None:
            terminalreporter.write_sep("-", f"compared with the baseline {_shown(self.baseline[0])}")
            for line in diff.render(self.found).splitlines():
                terminalreporter.write_line(line, red=line.startswith("lost"), green=line.startswith("gained"))
            if self.found.lost:
                terminalreporter.write_line(
                    f"baseline: {len(self.found.lost)} lost: the session fails", red=True, bold=True
                )
        passed = report.verdict.passed
        terminalreporter.write_line(verdict.line(report.verdict), green=passed, red=not passed, bold=True)
        for line in verdict.unconfirmed_lines(report.verdict):
            terminalreporter.write_line(line, red=line.startswith("unconfirmed"), yellow=line.startswith("warning"))

    # -- pytest-xdist: workers send their cells, the controller merges them -----------------------------

    def _send_to_controller(self) -> None:
        if not self.started or not self.matrix.cells:
            return
        matrix = self.matrix
        self.config.workeroutput["agents_compat"] = {  # type: ignore[attr-defined]
            "cells": [cell.to_json() for cell in matrix.cells.values()],
            "models": {name: matrix.profiles[name].model for name in matrix.backends},
            "versions": matrix.versions,
            "outbound": self.outbound,
        }

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """Merge a finished worker's cells, so verdicts, the matrix and reports cover every worker."""
        sent = getattr(node, "workeroutput", {}).get("agents_compat")
        if not sent:
            return
        self.start()
        if not self.started:
            return
        matrix = self.matrix
        for data in sent["cells"]:
            cell = Cell.from_json(data)
            profile = matrix.profiles[cell.backend]
            if sent["models"].get(cell.backend, profile.model) != profile.model:  # a URL profile's model_env
                profile = profile.model_copy(update={"model": sent["models"][cell.backend]})
            matrix.add(profile, cell)
        matrix.versions.update(sent["versions"])
        if sent["outbound"]:
            self.outbound = "\n".join(filter(None, [self.outbound, sent["outbound"]]))

    # -- teardown: the session's processes and containers stop however it ends --------------------------

    def pytest_keyboard_interrupt(self) -> None:
        self._close()  # Ctrl-C: at once, not after pytest has rendered the interrupted session

    def pytest_unconfigure(self) -> None:
        self._close()
        if self._undo_log_scrubbing is not None:
            self._undo_log_scrubbing()
        if signal.getsignal(signal.SIGTERM) is _interrupt:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def _close(self) -> None:
        if self.started:
            self.processes.close()
            self.servers.close()


@pytest.fixture
def compat_run() -> tuple[int, int]:
    """(this run, of how many); parametrized per profile by pytest_generate_tests."""
    return (0, 1)


def _timeout(config: pytest.Config, profile: Profile) -> float:
    given: float | None = config.getoption("compat_timeout")  # parsed by options.seconds
    if given is not None:
        return given
    if profile.timeout is not None:
        return profile.timeout
    return 10.0 if profile.tier == "mocked" else 120.0


@pytest_asyncio.fixture(loop_scope="session")
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    profile: Profile = request.param
    state = _state(request.config)
    async with _endpoint(state, profile) as endpoint:
        if endpoint.version:
            state.matrix.versions[profile.name] = endpoint.version
        if endpoint.model:  # a URL profile told its model by an environment variable
            profile = profile.model_copy(update={"model": endpoint.model})
        connected = Backend(
            profile,
            endpoint.base_url,
            _guarded(request, state, profile, endpoint.transport, _timeout(request.config, profile)),
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


def _guarded(
    request: pytest.FixtureRequest, state: CompatSession, profile: Profile, transport: Any, timeout: float
) -> Any:
    """A live row's transport, failing fast once its backend stopped answering (harness/health.py).

    A body silent for half the cell timeout when the cell was cut counts as no answer: a slow model still
    streaming is not silent that long, and a stalled backend then costs about two cell timeouts, not a row.
    """
    if profile.tier != "live":
        return transport
    found = state.health.setdefault(profile.name, health.Health())
    if found.dead:
        request.node.stash[NOT_ANSWERING_KEY] = found.reason
    return health.GuardedTransport(transport, found, stall_after=timeout / 2)


@asynccontextmanager
async def _endpoint(state: CompatSession, profile: Profile) -> AsyncIterator[Any]:
    """``endpoint_for``, except that a row the user named never skips: the session stops, with one line why."""
    entered = False
    try:
        async with endpoint_for(profile, state.processes, state.servers) as endpoint:
            entered = True
            yield endpoint
    except MissingPrerequisite as missing:
        if entered:
            raise
        if profile.name not in state.explicit:
            pytest.skip(str(missing))
        why = str(missing).removeprefix(f"{profile.name}: ")
        pytest.exit(f"--backend {profile.name}: cannot run: {inert(why)}", returncode=pytest.ExitCode.TESTS_FAILED)


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
    state = _state(request.config)
    started = time.perf_counter()

    def verdict(observation: Observation) -> Cell:
        observation = observation.on_tier(profile.tier)
        not_answering = request.node.stash.get(NOT_ANSWERING_KEY, None)
        if not_answering and observation.outcome is not Outcome.SKIPPED:  # its requests were never sent
            observation = Observation(Outcome.ERROR, not_answering)
        history = state.matrix.runs.setdefault((profile.name, feature), [])
        history.append(observation)
        if runs > 1:
            observation = repeat.fold(history)
        exchanges = [e for record in backend.records for e in record.exchanges]
        cell = state.record(
            profile,
            feature,
            observation,
            exchanges=[e.to_json() for e in exchanges],
            seconds=time.perf_counter() - started,
            strict=cell_deviations(exchanges),
            runs=repeat.stats(history) if runs > 1 else None,
            server_logs=_logs_if_failed(backend, observation.outcome),
            allowed=_allowance(request.config, profile, feature) if observation.outcome is Outcome.INCONCLUSIVE else "",
        )
        for name, value in junit.properties(cell):
            record_property(name, value)
        if run + 1 < runs:  # judged once, on the folded outcome of the last run
            return cell
        if cell.unconfirmed and not cell.allowed:
            # Declared an answer, shown none: a weak model, or a backend that dropped what would show it.
            pytest.fail(terminal.failure_message(cell), pytrace=False)
        if cell.outcome is Outcome.INCONCLUSIVE and not cell.as_expected:
            # The model, not the backend, fell short: neither a pass nor a protocol failure.
            pytest.xfail(f"inconclusive: {cell.reason}")
        if not cell.as_expected:
            pytest.fail(terminal.failure_message(cell), pytrace=False)
        if profile.strict == "clean" and cell.strict:
            pytest.fail(terminal.strict_failure_message(cell), pytrace=False)
        return cell

    return verdict


def _allowance(config: pytest.Config, profile: Profile, feature: str) -> str:
    """Why an unconfirmed cell of this row may only warn: the profile's reason, or the flag; "" if it fails."""
    if feature in profile.unconfirmed:
        return profile.unconfirmed[feature]
    return "--compat-allow-unconfirmed" if config.getoption("compat_allow_unconfirmed") else ""


def _logs_if_failed(backend: Backend, outcome: Outcome) -> str:
    """A launched server's log tail, kept with the cell when the infrastructure or the protocol failed."""
    if backend.server_logs is None or outcome not in (Outcome.ERROR, Outcome.BROKEN):
        return ""
    return backend.server_logs()


def _fold_cannot_run(report: pytest.TestReport, row: str) -> None:
    """A live row that cannot run here skips every cell with the same reason: one location and no row name,
    so that -rs folds them into one line per reason (the matrix shows which rows were skipped)."""
    if not isinstance(report.longrepr, tuple) or not report.longrepr[2].startswith(f"Skipped: {row}: "):
        return
    why = report.longrepr[2].removeprefix(f"Skipped: {row}: ")
    code = inspect.unwrap(endpoint_for).__code__  # where a live row's server is found or launched
    report.longrepr = (code.co_filename, code.co_firstlineno, f"live rows that cannot run here: {why}")


def _scrub_report(report: pytest.TestReport, secrets: tuple[str, ...]) -> None:
    """Failure text and captured output feed the terminal and JUnit XML: no key may pass through them, and
    a backend's words in them (an exception's message, a logged answer) are made inert (harness/inert.py)."""
    if isinstance(report.longrepr, tuple):  # a skip's (path, line, reason): -rs and -ra fold skips by that shape
        path, line, reason = report.longrepr
        report.longrepr = (path, line, inert(scrub(reason, secrets)))
    elif report.longrepr is not None:
        text = str(report.longrepr)
        cleaned = inert(scrub(text, secrets), lines=True)  # keys in any spelling, so no cheap "in" test first
        if cleaned != text:
            report.longrepr = cleaned
    if hasattr(report, "wasxfail"):  # -rx prints the reason: "inconclusive: <a backend's words>"
        report.wasxfail = inert(scrub(report.wasxfail, secrets))
    report.sections = [(title, inert(scrub(content, secrets), lines=True)) for title, content in report.sections]


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when under it (no machine paths)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
