"""Command line: ``python -m harness matrix`` (run the mocked matrix) and ``serve`` (an emulator over HTTP)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from .emulators import EMULATORS, create
from .profiles import ProfileError, load_profiles


def _parse_option(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness", description="Agents SDK backend compatibility harness")
    commands = parser.add_subparsers(dest="command", required=True)

    matrix = commands.add_parser("matrix", help="run the scenario suites and print the capability matrix")
    matrix.add_argument("--backends", action="append", default=[], metavar="FILE", help="extra profiles TOML")
    matrix.add_argument("--backend", action="append", default=[], metavar="NAME", help="only these profiles")
    matrix.add_argument(
        "--tier", choices=["mocked", "live", "all"], default="mocked", help="which tier to run (default: mocked)"
    )
    matrix.add_argument("--report-dir", default=None, metavar="DIR", help="where the JSON and Markdown go")

    serve = commands.add_parser("serve", help="serve an emulator over HTTP on 127.0.0.1")
    serve.add_argument("name", help=f"a profile name, or an emulator family ({', '.join(sorted(EMULATORS))})")
    serve.add_argument("--port", type=int, default=0, help="port (default: a free one, printed at start)")
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
    serve.add_argument("--verbose", action="store_true", help="log every request")
    return parser


def run_matrix(args: argparse.Namespace) -> int:
    import pytest

    # -q quiets pytest's progress, but the matrix is this command's whole output: keep its legend.
    # The harness package is already imported here, so pytest cannot rewrite its asserts: say nothing of it.
    # --assert=plain: the scenarios assert nothing themselves (verdicts are pytest.fail), so skip rewriting.
    argv = [
        "--pyargs",
        "suites",
        "-q",
        "--compat-matrix",
        "full",
        "-p",
        "no:cacheprovider",
        "--assert=plain",
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]
    if args.tier != "all":
        argv += ["-m", args.tier]
    for path in args.backends:
        argv += ["--backends", path]
    for name in args.backend:
        argv += ["--backend", name]
    if args.report_dir:
        argv += ["--compat-report-dir", args.report_dir]
    return int(pytest.main(argv))


def _serve_target(args: argparse.Namespace) -> tuple[str, str, dict[str, Any]]:
    profiles = load_profiles()
    if args.name in profiles:
        profile = profiles[args.name]
        return profile.emulator_name, args.model or profile.model, {**profile.emulator_options, **dict(args.option)}
    if args.name in EMULATORS:
        default = next((p for p in profiles.values() if p.emulator_name == args.name), None)
        model = args.model or (default.model if default else None)
        if model is None:
            raise ProfileError(f"serve {args.name}: give --model")
        options = {**(default.emulator_options if default else {}), **dict(args.option)}
        return args.name, model, options
    raise ProfileError(
        f"serve: unknown name {args.name!r}; give a profile ({', '.join(profiles)}) "
        f"or a family ({', '.join(sorted(EMULATORS))})"
    )


def run_serve(args: argparse.Namespace) -> int:
    from .emulators.server import make_server

    family, model, options = _serve_target(args)
    emulator = create(family, model, options)
    try:
        server = make_server(emulator, args.host, args.port, quiet=not args.verbose)
    except OSError as exc:
        print(f"serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    host, port = server.server_address[:2]
    print(f"serving the {family} emulator (model {model}) at http://{host}:{port}/v1 ; Ctrl-C stops", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run_matrix(args) if args.command == "matrix" else run_serve(args)
    except (ProfileError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
