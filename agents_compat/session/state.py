"""One pytest session that runs scenarios: its profiles, its servers, its cells, and its report.

The plugin (agents_compat/plugin.py) imports this module only once a session asks for the harness (it collects a
scenario, names a row with --backend, or receives a pytest-xdist worker's cells): importing it imports the
Agents SDK, which an unrelated pytest run must not pay for. ``CompatSession.start`` reads the options and
the profiles once, opens the pools of servers and takes the process-wide effects a run needs (keys scrubbed
from log records, SIGTERM unwound as Ctrl-C, tracing off); ``close`` and ``end`` give them back.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from agents import set_tracing_disabled

from .. import options
from .. import report as report_model
from ..config import selection
from ..config.profiles import Profile, ProfileError, files_read, load_catalog
from ..judging import readiness
from ..judging.matrix import Matrix
from ..launchers import endpoint_for, outbound, secrets_of
from ..launchers.live_servers import LaunchFailed, ServerPool, server_secrets
from ..launchers.process import ProcessPool
from ..outcomes import Cell, Observation, Outcome
from ..report import atomic, cassettes, diff, junit, terminal
from ..report import build as report_build
from ..report import files as report_files
from ..running import health
from ..wire.inert import inert
from ..wire.redact import scrub, scrubbing_log_records
from . import workers


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def row_names(config: pytest.Config) -> list[str]:
    """The rows named with --backend (repeatable or comma-separated)."""
    return [n.strip() for opt in config.getoption("backend") for n in opt.split(",") if n.strip()]


class CompatSession:
    """The state of one session that runs scenarios, from its start to its report.

    Made only by ``start``, so every attribute is there from the first hook that sees it. At session finish
    it builds the report (agents_compat/report/build.py) and writes its files, whatever the terminal plugin does;
    agents_compat/report/terminal.py only renders it.
    """

    def __init__(
        self,
        config: pytest.Config,
        *,
        profiles: list[Profile],
        agents: list[readiness.AgentSpec],
        baseline: tuple[Path, report_model.Report] | None,
        defined_rows: set[str],
        servers: ServerPool,
    ) -> None:
        self.config = config
        self.profiles = profiles
        self.agents = agents
        self.baseline = baseline
        self.defined_rows = defined_rows  # selected or not: for the baseline diff
        self.explicit = {row.name for row in selection.explicit(row_names(config), profiles)}
        self.matrix = Matrix(profiles={p.name: p for p in profiles})
        self.processes = ProcessPool()
        self.servers = servers
        self.outbound = ""  # launched servers' attempts to reach off the machine, rendered
        self.health: dict[str, health.Health] = {}  # live rows: name -> whether its backend still answers
        self.report: report_model.Report | None = None  # built at session finish
        self.found: diff.Diff | None = None  # the report against the baseline
        self.cassettes: list[Path] = []  # written at session finish, with --compat-cassettes
        self.held: list[str] = []  # signals that arrived while the files were written
        self.written: report_files.Written | None = None  # where the report files went, and what failed
        self.cassettes_failed = ""  # why --compat-cassettes could not be written
        self._undo_log_scrubbing: Callable[[], None] = lambda: None

    # -- start: only sessions that run scenarios pay for it ------------------------------------------

    @classmethod
    def start(cls, config: pytest.Config) -> CompatSession:
        """Everything a session that runs scenarios needs, and its process-wide effects.

        A bad profile file, option or baseline raises ProfileError, with one line.
        """
        files = [Path(f) for f in config.getoption("backends")]
        default_file = Path(config.rootpath) / options.DEFAULT_USER_FILE
        if default_file.is_file():
            files.insert(0, default_file)
        if config.getoption("compat_repeat") < 1:
            raise ProfileError(f"--compat-repeat must be 1 or more (got {config.getoption('compat_repeat')})")
        catalog = load_catalog(files, include_faults=config.getoption("compat_faults"))  # each file read once
        sdk_release = importlib.metadata.version("openai-agents")
        # what each backend does with this SDK release
        read = files_read(files, default_file)  # an unknown name says which files were read
        rows = selection.select_rows(catalog.profiles, row_names(config), read)
        profiles = [p.for_sdk(sdk_release) for p in rows]
        agents = readiness.agents_in(catalog.user_documents) + [
            readiness.parse_spec(spec, n) for n, spec in enumerate(config.getoption("compat_agent"), 1)
        ]
        baseline = _baseline(config)
        if config.getoption("compat_report_dir"):
            try:
                options.report_dir(config.getoption("compat_report_dir"), "--compat-report-dir")
            except ValueError as exc:
                raise ProfileError(str(exc)) from None
        session = cls(
            config,
            profiles=profiles,
            agents=agents,
            baseline=baseline,
            defined_rows=set(selection.all_rows(catalog.profiles)),
            servers=ServerPool(catalog.servers),
        )
        session._take_the_process()
        return session

    def _take_the_process(self) -> None:
        every_key = {key for profile in self.profiles for key in self.secrets(profile)}
        self._undo_log_scrubbing = scrubbing_log_records(every_key)
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            # `timeout`, CI runners and `kill` send SIGTERM, which by default ends Python without any teardown:
            # unwind as for Ctrl-C instead, so servers and containers are stopped.
            signal.signal(signal.SIGTERM, _interrupt)
        set_tracing_disabled(True)  # traces would go to OpenAI's servers, whatever the backend

    def check_named_rows(self) -> None:
        """Rows named with --backend: a session that would not run one of them fails now, with one line."""
        for row in selection.explicit(row_names(self.config), self.profiles):
            why = selection.cannot_run(row)
            if why:
                raise pytest.UsageError(f"--backend {row.name}: cannot run: {why}")

    def secrets(self, profile: Profile) -> tuple[str, ...]:
        """The profile's keys, and the keys its launched server was given for its upstream."""
        spec = self.servers.servers.get(profile.server) if profile.server else None
        return secrets_of(profile) + (server_secrets(spec) if spec else ())

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

    def reported(self, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
        """A scenario's test report: scrubbed of its row's keys, and a cell for a scenario that crashed."""
        callspec = getattr(item, "callspec", None)
        profile = callspec.params.get("backend") if callspec else None
        if not isinstance(profile, Profile):
            return
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

    # -- session finish: the report, built once and written whatever the terminal plugin does ----------

    def finish(self, session: pytest.Session, exitstatus: int) -> None:
        self._check_outbound(session)
        if self.outbound and session.exitstatus == pytest.ExitCode.OK:  # xdist workers' too
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if hasattr(self.config, "workerinput"):  # a pytest-xdist worker: the controller judges the whole session
            workers.send(self.config, self.matrix, self.outbound)
            return
        if not self.matrix.cells:
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
            self.written = report_files.write_or_recover(Path(terminal.shown(self.report_dir())), report, every_key)
            if cassette_dir:
                try:
                    self.cassettes = cassettes.write(Path(cassette_dir), report)
                except OSError as exc:
                    self.cassettes_failed = (
                        f"the cassettes could not be written to {cassette_dir} ({exc.strerror or exc}); "
                        "`python -m agents_compat cassettes REPORT.json DIR` makes them from the JSON report"
                    )
        self.held = held
        if held:
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        failed_to_write = self.written.problem or self.cassettes_failed
        if failed_to_write and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def show(self, terminalreporter: Any) -> None:
        """The report on the terminal (agents_compat/report/terminal.py)."""
        terminal.summary(
            terminalreporter,
            self.config,
            self.report,
            outbound=self.outbound,
            written=self.written,
            cassettes=len(self.cassettes),
            cassettes_failed=self.cassettes_failed,
            held=self.held,
            found=self.found,
            baseline=self.baseline[0] if self.baseline else None,
        )

    def report_dir(self) -> Path:
        default = Path(self.config.rootpath) / options.DEFAULT_REPORT_DIR
        return Path(self.config.getoption("compat_report_dir") or default)

    def _check_outbound(self, session: pytest.Session) -> None:
        """Fail a session whose launched servers tried to reach off the machine (docs/live-tier.md).

        Runs before the pools stop their servers (at unconfigure), while every log can still be read.
        """
        attempts = [attempt for pool in (self.processes, self.servers) for attempt in pool.outbound_attempts()]
        if not attempts:
            return
        secrets = tuple(s for profile in self.profiles for s in self.secrets(profile))
        self.outbound = scrub(outbound.render(attempts), secrets)
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def merge_worker(self, sent: dict[str, Any]) -> None:
        """A finished pytest-xdist worker's cells (session/workers.py), so the report covers every worker."""
        outbound = workers.merge(self.matrix, sent)
        if outbound:
            self.outbound = "\n".join(filter(None, [self.outbound, outbound]))

    # -- teardown: the session's processes and containers stop however it ends --------------------------

    def close(self) -> None:
        """Stop the session's processes and containers (at Ctrl-C at once, and at unconfigure)."""
        self.processes.close()
        self.servers.close()

    def end(self) -> None:
        """Close, and give back what ``start`` took of the process."""
        self.close()
        self._undo_log_scrubbing()
        if signal.getsignal(signal.SIGTERM) is _interrupt:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _baseline(config: pytest.Config) -> tuple[Path, report_model.Report] | None:
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
    a backend's words in them (an exception's message, a logged answer) are made inert (agents_compat/wire/inert.py)."""
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
