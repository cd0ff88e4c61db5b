"""Command line: ``python -m agents_compat matrix`` (run the mocked matrix), ``serve`` (an emulator over HTTP),
``diff`` (what changed between two reports), ``baseline`` (keep a report to diff against) and ``site``
(a static site from many reports)."""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import accept, options, report, scaffold
from .config.profiles import ProfileError, files_read, load_profiles
from .config.selection import explicit, select_rows
from .emulators import EMULATORS, create
from .emulators.faults import FAULT_KINDS, Fault
from .emulators.serve import BODY_TIMEOUT, HEADER_TIMEOUT, IDLE_TIMEOUT, MAX_CONNECTIONS
from .options import DEFAULT_USER_FILE
from .report import atomic, cassettes, diff
from .wire.inert import inert

DEFAULT_REPORT = f"{scaffold.REPORT_DIR}/compat-matrix.json"  # where `matrix` writes it without --report-dir


def _parse_option(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def _workers(text: str) -> str:
    if text == "auto" or (text.isdigit() and int(text) >= 1):
        return text
    raise argparse.ArgumentTypeError(f"expected a number of processes (1 or more) or 'auto', got {text!r}")


def version() -> str:
    """This package's version, and the SDK's it runs: both decide what a matrix says."""
    found = {name: importlib.metadata.version(name) for name in ("agents-compat-harness", "openai-agents", "openai")}
    return "agents-compat-harness {} (openai-agents {}, openai {})".format(*found.values())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m agents_compat", description="Agents SDK backend compatibility harness"
    )
    parser.add_argument("--version", action="version", version=version(), help="print the versions and exit")
    commands = parser.add_subparsers(dest="command", required=True)

    matrix = commands.add_parser("matrix", help="run the scenario suites and print the capability matrix")
    matrix.add_argument("--backends", action="append", default=[], metavar="FILE", help="extra profiles TOML")
    matrix.add_argument("--backend", action="append", default=[], metavar="NAME", help="only these profiles")
    matrix.add_argument(
        "--tier",
        choices=["mocked", "live", "all"],
        default=None,
        help="which tier to run (default: mocked; all when a --backend names a live row, e.g. a URL profile)",
    )
    matrix.add_argument(
        "--report-dir",
        default=None,
        metavar="DIR",
        help=f"where the JSON, Markdown and HTML go (default: {scaffold.REPORT_DIR})",
    )
    matrix.add_argument("--baseline", default=None, metavar="FILE", help="compare with this report; fail on a loss")
    matrix.add_argument("--faults", action="store_true", help="also run the built-in fault profiles")
    matrix.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="K",
        help="run each live cell K times (the rule: docs/live-tier.md, 'Repeated live runs')",
    )
    matrix.add_argument(
        "--allow-unconfirmed",
        action="store_true",
        help="a declared cell that comes back inconclusive warns instead of failing (docs/gating.md)",
    )
    matrix.add_argument(
        "--agent",
        action="append",
        default=[],
        metavar="SPEC",
        help="readiness for an agent's features, e.g. 'bot:function_tools,handoffs,streaming'",
    )

    matrix.add_argument(
        "--fail-not-ready", action="store_true", help="fail when an agent given with --agent is NOT READY on a backend"
    )
    matrix.add_argument(
        "--workers",
        type=_workers,
        default=None,
        metavar="N",
        help="run the cells in N processes, or 'auto' for one per CPU (pytest-xdist's -n; needs pytest-xdist)",
    )

    starter = commands.add_parser("init", help="write a starter compat-backends.toml and a CI workflow here")
    starter.add_argument("--dir", default=".", metavar="DIR", help="the repository's root (default: here)")
    starter.add_argument(
        "--action", default=None, metavar="OWNER/REPO@REF", help="where the workflow takes this harness's action from"
    )
    starter.add_argument("--force", action="store_true", help="replace files that exist")

    take = commands.add_parser(
        "accept", help="write the last run's observed outcomes into your backends file as the expectations"
    )
    take.add_argument(
        "--report", default=DEFAULT_REPORT, metavar="FILE", help=f"the run's report (default: {DEFAULT_REPORT})"
    )
    take.add_argument(
        "--file", default=DEFAULT_USER_FILE, metavar="TOML", help=f"the file to write (default: {DEFAULT_USER_FILE})"
    )
    take.add_argument("--backend", action="append", default=[], metavar="NAME", help="only these rows (repeatable)")
    take.add_argument("--dry-run", action="store_true", help="show the diff, write nothing")

    compare = commands.add_parser("diff", help="what was gained, lost or changed between two reports (exit 1 if lost)")
    compare.add_argument("old", metavar="OLD.json", help="the baseline report")
    compare.add_argument("new", metavar="NEW.json", help="the report to compare with it")

    combine = commands.add_parser(
        "merge", help="one report from many runs (shards, SDK versions, repeats); each cell keeps every run's outcome"
    )
    combine.add_argument("reports", nargs="+", metavar="REPORT.json", help="compat-matrix.json files, merged ones too")
    combine.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="MERGED.json",
        help="the merged report; its Markdown and HTML are written beside it (.md, .html)",
    )

    baseline = commands.add_parser("baseline", help="keep a report as a baseline (without its exchanges)")
    baseline.add_argument("report", metavar="REPORT.json", help="a compat-matrix.json")
    baseline.add_argument("out", metavar="OUT.json", help="where the baseline goes")

    record = commands.add_parser("cassettes", help="keep a live report's exchanges as cassettes (one file per cell)")
    record.add_argument("report", metavar="REPORT.json", help="a compat-matrix.json from `pytest -m live`")
    record.add_argument("out", metavar="DIR", help="where the cassettes go (fixtures/cassettes in this project)")

    pages = commands.add_parser("site", help="a static site (no server) from many reports: matrix, history, changes")
    pages.add_argument("reports", nargs="+", metavar="REPORTS", help="report files, or folders of them (*.json)")
    pages.add_argument("-o", "--out", required=True, metavar="DIR", help="where the site goes (replaced whole)")
    pages.add_argument(
        "--evidence-limit",
        type=int,
        default=20_000,
        metavar="CHARS",
        help="characters of one request or response body shown as evidence (default: 20000)",
    )

    serve = commands.add_parser("serve", help="serve an emulator over HTTP on 127.0.0.1")
    serve.add_argument("name", help=f"a profile name, or an emulator family ({', '.join(sorted(EMULATORS))})")
    serve.add_argument("--port", type=options.port, default=0, help="port (default: a free one, printed at start)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--model", default=None, help="model id the emulator serves")
    serve.add_argument(
        "--option",
        action="append",
        default=[],
        type=_parse_option,
        metavar="KEY=VALUE",
        help="emulator option (the server's own configuration), JSON values allowed",
    )
    serve.add_argument(
        "--fault",
        choices=sorted(FAULT_KINDS),
        default=None,
        help='serve through a fault (docs/robustness.md, "Faults")',
    )
    serve.add_argument(
        "--fault-option",
        action="append",
        default=[],
        type=_parse_option,
        metavar="KEY=VALUE",
        help="the fault's settings: seconds=S (slow), retry_after=N (rate_limited)",
    )
    serve.add_argument(
        "--idle-timeout",
        type=options.seconds,
        default=IDLE_TIMEOUT,
        metavar="SECONDS",
        help=f"close a connection that sends nothing for this long (default {IDLE_TIMEOUT:g})",
    )
    serve.add_argument(
        "--header-timeout",
        type=options.seconds,
        default=HEADER_TIMEOUT,
        metavar="SECONDS",
        help=f"a request's headers must arrive within this long of its first byte (default {HEADER_TIMEOUT:g})",
    )
    serve.add_argument(
        "--body-timeout",
        type=options.seconds,
        default=BODY_TIMEOUT,
        metavar="SECONDS",
        help=f"a request's body must arrive within this long of its headers, else 408 (default {BODY_TIMEOUT:g})",
    )
    serve.add_argument(
        "--max-connections",
        type=options.count,
        default=MAX_CONNECTIONS,
        metavar="N",
        help=f"connections open at once; more get 503 (default {MAX_CONNECTIONS})",
    )
    serve.add_argument("--verbose", action="store_true", help="log every request")
    serve.add_argument(
        "--detach",
        action="store_true",
        help="return once the server listens, leaving it running in the background (it prints the kill command)",
    )
    return parser


def run_matrix(args: argparse.Namespace) -> int:
    # Check the profiles first: a mistake then costs a fraction of a second, not pytest's and the SDK's imports.
    files = [Path(DEFAULT_USER_FILE)] if Path(DEFAULT_USER_FILE).is_file() else []
    files += map(Path, args.backends)
    names = [n.strip() for opt in args.backend for n in opt.split(",")]
    read = files_read(files, Path(DEFAULT_USER_FILE))
    rows = select_rows(load_profiles(files, include_faults=args.faults), names, read)
    tier = args.tier or ("all" if any(row.tier == "live" for row in explicit(names, rows)) else "mocked")
    if args.report_dir:
        options.report_dir(args.report_dir, "--report-dir")
    if args.workers and importlib.util.find_spec("xdist") is None:
        raise ValueError("matrix --workers needs pytest-xdist: pip install 'pytest-xdist>=3.8.0'")

    import pytest

    # -q quiets pytest's progress, but the matrix is this command's whole output: keep its legend.
    # The harness package is already imported here, so pytest cannot rewrite its asserts: say nothing of it.
    # --assert=plain: the scenarios assert nothing themselves (verdicts are pytest.fail), so skip rewriting.
    argv = [
        "--pyargs",
        "agents_compat.scenarios",
        "-q",
        "--compat-matrix",
        "full",
        "-p",
        "no:cacheprovider",
        "--assert=plain",
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]
    # Always an -m, so that a project's own addopts (this one's say -m 'not live') cannot drop a named live row.
    argv += ["-m", "mocked or live" if tier == "all" else tier]
    # The plugin's options go as --name=VALUE, one argv entry each: pytest finds its rootdir (where the
    # plugin reads compat-backends.toml) before the plugin's options are known, and would take a separate
    # value that is an existing path (an absolute --report-dir, a --backends file) for a path to test.
    argv += [f"--backends={path}" for path in args.backends]
    argv += [f"--backend={name}" for name in args.backend]
    if args.repeat != 1:
        argv.append(f"--compat-repeat={args.repeat}")
    if args.allow_unconfirmed:
        argv.append("--compat-allow-unconfirmed")
    argv += [f"--compat-agent={spec}" for spec in args.agent]
    if args.report_dir:
        argv.append(f"--compat-report-dir={args.report_dir}")
    if args.baseline:
        argv.append(f"--compat-baseline={args.baseline}")
    if args.faults:
        argv.append("--compat-faults")
    if args.fail_not_ready:
        argv.append("--compat-fail-not-ready")
    if args.workers:
        argv += ["-n", args.workers]  # the workers' cells are judged once, in this process (session/workers.py)
    started = time.time()
    code = int(pytest.main(argv))
    written = Path(args.report_dir or scaffold.REPORT_DIR) / "compat-matrix.json"
    if os.environ.get("GITHUB_OUTPUT") and written.is_file() and written.stat().st_mtime >= started:
        atomic.append_text(Path(os.environ["GITHUB_OUTPUT"]), github_outputs(written))
    # pytest's own "usage error" status is 4; this command's bad input is 2, as for its own options.
    return 2 if code == pytest.ExitCode.USAGE_ERROR else code


def github_outputs(path: Path, written: report.Report | None = None) -> str:
    """The action's outputs (action.yml), as GitHub Actions reads them from $GITHUB_OUTPUT: from the report
    the run wrote (read back from ``path`` unless given), so they say what the matrix says."""
    verdict = (written or report.load(path)).verdict
    found = {"cells": verdict.cells, "differ": len(verdict.differing), "lost": len(verdict.lost), "report": path}
    return "".join(f"{key}={value}\n" for key, value in found.items() if "\n" not in str(value))


def run_diff(args: argparse.Namespace) -> int:
    result = diff.compare(report.load(args.old), report.load(args.new))
    print(f"compat diff: {args.old} -> {args.new}")
    print(diff.render(result))
    return 1 if result.lost else 0


def run_merge(args: argparse.Namespace) -> int:
    # Reading a long history builds millions of small objects and no cycles: the cycle collector's passes over
    # the growing heap cost more than the work itself (benchmarks/bench_merge.py: CPU time down by 40%).
    gc.disable()
    try:
        return _merge(args)
    finally:
        gc.enable()


def _merge(args: argparse.Namespace) -> int:
    from .report import merge, terminal
    from .report.files import write_merged

    loaded, problems = [], []
    for path in args.reports:
        try:
            loaded.append(report.load(path))
        except report.ReportError as exc:
            problems.append(str(exc))
    for problem in problems:  # every bad input named, one line each, before anything is written
        print(f"error: {inert(problem)}", file=sys.stderr)
    if problems:
        return 2
    out = Path(args.output)
    if out.suffix != ".json":
        raise ValueError(f"merge: -o {out}: name a .json file (its .md and .html are written beside it)")
    merged = merge.merge(loaded)
    write_merged(out, merged)
    if os.environ.get("GITHUB_OUTPUT"):
        atomic.append_text(Path(os.environ["GITHUB_OUTPUT"]), github_outputs(out, merged))
    print(terminal.terminal(merged))
    for line in terminal.merged_lines(merged):
        print(line)
    runs = len(merged.sources or [])
    print(f"merge: {len(args.reports)} file(s), {runs} run(s), {len(merged.cells)} cells written to {out}")
    print(terminal.verdict_text(merged))
    return 0 if merged.verdict.passed else 1


def run_baseline(args: argparse.Namespace) -> int:
    kept = diff.as_baseline(report.load(args.report))
    atomic.write_text(Path(args.out), json.dumps(kept, indent=2) + "\n")
    print(f"baseline: {len(kept['cells'])} cells written to {args.out}")
    return 0


def _fault(args: argparse.Namespace, default: Fault | None) -> Fault | None:
    if args.fault is None:
        if args.fault_option:
            raise ProfileError("serve: --fault-option needs --fault KIND")
        return default
    try:
        return Fault(kind=args.fault, **dict(args.fault_option))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ProfileError(f"serve: --fault {args.fault}: {where} {first['msg']}") from None


def _serve_target(args: argparse.Namespace) -> tuple[str, str, dict[str, Any], Fault | None]:
    profiles = load_profiles(include_faults=True)
    if args.name in profiles:
        profile = profiles[args.name]
        options = {**profile.emulator_options, **dict(args.option)}
        return profile.emulator_name, args.model or profile.model, options, _fault(args, profile.fault)
    if args.name in EMULATORS:
        default = next((p for p in profiles.values() if p.emulator_name == args.name), None)
        model = args.model or (default.model if default else None)
        if model is None:
            raise ProfileError(f"serve {args.name}: give --model")
        options = {**(default.emulator_options if default else {}), **dict(args.option)}
        return args.name, model, options, _fault(args, None)
    raise ProfileError(
        f"serve: unknown name {args.name!r}; give a profile ({', '.join(profiles)}) "
        f"or a family ({', '.join(sorted(EMULATORS))})"
    )


def _expected_key(emulator: object) -> str:
    """What a client must send as its bearer token: openai and llama.cpp check ``api_key``, gateways a master key."""
    key = getattr(emulator, "api_key", None) or getattr(emulator, "master_key", None)
    return key if key else "any (this emulator does not check it)"


def detach(argv: list[str]) -> int:
    """Start ``serve`` (without --detach) as its own session, and return once it listens: a script can use
    the server on its next line, which ``serve ... &`` cannot promise."""
    command = [sys.executable, "-m", "agents_compat", *(a for a in argv if a != "--detach")]
    with tempfile.TemporaryFile("w+") as errors:
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, text=True, start_new_session=True
        )
        assert child.stdout is not None
        lines = [child.stdout.readline(), child.stdout.readline()]
        child.stdout.close()
        if not lines[0].startswith("serving"):
            code = child.wait()
            errors.seek(0)
            sys.stderr.write(errors.read())
            return code or 2
    print(lines[0].rstrip(), lines[1].rstrip(), f"in the background; stop it with: kill {child.pid}", sep="\n")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    if args.detach:
        return detach(args.argv)
    from .emulators.serve import make_server

    family, model, options, fault = _serve_target(args)
    emulator = create(family, model, options)
    try:
        server = make_server(
            emulator,
            args.host,
            args.port,
            quiet=not args.verbose,
            fault=fault,
            idle_timeout=args.idle_timeout,
            max_connections=args.max_connections,
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
        )
    except OSError as exc:
        print(f"serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    host, port = server.bound_address
    through = f" through the {fault.kind} fault" if fault else ""
    print(f"serving the {family} emulator (model {model}){through} at http://{host}:{port}/v1", flush=True)
    print(f"API key: {_expected_key(emulator)} ; Ctrl-C stops", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def run_cassettes(args: argparse.Namespace) -> int:
    try:
        written = cassettes.write(Path(args.out), report.load(args.report))
    except report.ReportError as exc:
        raise report.ReportError(f"{args.report}: {exc}") from None
    print(f"cassettes: {len(written)} live cells written under {args.out}")
    return 0 if written else 1


def run_site(args: argparse.Namespace) -> int:
    from .report import site

    try:
        runs, count = site.build_from_files([Path(p) for p in args.reports], Path(args.out), args.evidence_limit)
    except site.SiteError as exc:
        for line in str(exc).splitlines():
            print(f"site: {inert(line)}", file=sys.stderr)  # one line per bad file, each naming it
        return 2
    where = Path(args.out) / "index.html"
    print(f"site: {runs} run{'' if runs == 1 else 's'}, {count} files written to {args.out}; open {where}")
    return 0


def run_init(args: argparse.Namespace) -> int:
    written = scaffold.init(Path(args.dir), action=args.action or scaffold.DEFAULT_ACTION, force=args.force)
    for item in written:
        print(
            f"added {item.text.strip()} to {item.path}"
            if item.path.name == scaffold.GITIGNORE
            else f"wrote {item.path}"
        )
    if args.action is None:
        print(f"edit `uses: {scaffold.DEFAULT_ACTION}` in the workflow: OWNER hosts this harness's repository")
    print("next: set MY_GATEWAY_URL (and _KEY, _MODEL), run `agents-compat matrix --backend my-gateway`, then accept")
    return 0


def run_accept(args: argparse.Namespace) -> int:
    names = [n.strip() for opt in args.backend for n in opt.split(",") if n.strip()]
    path = Path(args.file)
    result = accept.accept(report.load(args.report), path, names, dry_run=args.dry_run)
    for line in result.refused:
        print(f"not accepted: {inert(line)}")  # a report's words, which may come from a backend
    if not result.changes:
        print(f"accept: every accepted cell of {args.report} already matches its profile; {path} unchanged")
        return 0
    sys.stdout.write(result.diff(path))
    count = sum(len(outcomes) for outcomes in result.changes.values())
    verb = "would write" if args.dry_run else "wrote"
    print(f"accept: {verb} {count} expectation(s) for {', '.join(result.changes)} to {path}")
    return 0


COMMANDS = {
    "matrix": run_matrix,
    "serve": run_serve,
    "diff": run_diff,
    "merge": run_merge,
    "baseline": run_baseline,
    "cassettes": run_cassettes,
    "site": run_site,
    "init": run_init,
    "accept": run_accept,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return COMMANDS[args.command](args)
    except (ProfileError, report.ReportError, scaffold.ScaffoldError, ValueError, OSError) as exc:
        print(f"error: {inert(exc)}", file=sys.stderr)  # may quote a hostile report or file
        return 2
    # files are renamed into place whole (agents_compat/report/atomic.py): none is half-written
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
