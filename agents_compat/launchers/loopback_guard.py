"""Run a Python server with every socket look-up, connection and bind held to loopback.

    python loopback_guard.py [--version-of DIST] (-m MODULE | --script PATH) [ARGS...]

What a loopback resolv.conf does for a container (agents_compat/launchers/live_servers.py), this does for a Python
server launched as a process, and more: an audit hook (PEP 578) sees every name look-up, connect, send
and bind that goes through Python's ``socket`` module, in every thread and every library (httpx, aiohttp,
requests, urllib), and refuses any whose host is not a loopback one, before a packet is sent. Each refusal
is printed as one line that agents_compat/launchers/outbound.py reads, so the session fails even when the
server caught the error and carried on. Native code that opens sockets on its own (a C resolver such as
c-ares) is outside Python's audit events; the servers launched this way use none (docs/live-tier.md).

The script runs under the server's own interpreter (its virtualenv), so it uses the standard library only.
"""

from __future__ import annotations

import errno
import ipaddress
import runpy
import socket
import sys
from importlib import metadata
from typing import Any

PREFIX = "compat-harness loopback guard:"
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_loopback(host: Any) -> bool:
    """127.0.0.0/8, ::1, a loopback name; None or "" (a passive or local look-up) needs no network."""
    if host is None or host in ("", b""):
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").rstrip(".").lower().split("%", 1)[0]
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind_allowed(host: Any) -> bool:
    """A server listens on loopback only; port 0 binds of a client socket name no host."""
    return host in ("", b"") or is_loopback(host)


def _refuse(what: str, host: Any, event: str) -> None:
    print(f"{PREFIX} refused {what} '{host}' ({event})", file=sys.stderr, flush=True)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not event.startswith("socket."):
        return
    if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"):
        if not is_loopback(args[0]):
            _refuse("look-up of", args[0], event)
            raise socket.gaierror(socket.EAI_NONAME, f"{PREFIX} only loopback names resolve here")
        return
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind"):
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
            return  # Unix sockets and socket pairs stay on this machine
        host = address[0]
        if event == "socket.bind":
            if not _bind_allowed(host):
                _refuse("listening on", host, event)
                raise OSError(errno.EADDRNOTAVAIL, f"{PREFIX} servers listen on 127.0.0.1 only")
        elif not is_loopback(host):
            _refuse("connection to", host, event)
            raise OSError(errno.ENETUNREACH, f"{PREFIX} only loopback is reachable here")


def main(argv: list[str]) -> None:
    version_of = None
    if argv[:1] == ["--version-of"]:
        version_of, argv = argv[1], argv[2:]
    if len(argv) < 2 or argv[0] not in ("-m", "--script"):
        sys.exit(__doc__)
    sys.addaudithook(_hook)
    if version_of:  # the harness reads the version the server runs from this line (recipes/python.py, reported_version)
        try:
            print(f"{PREFIX} running {version_of} {metadata.version(version_of)}", file=sys.stderr, flush=True)
        except metadata.PackageNotFoundError:  # the server then fails to import, with its own message
            pass
    kind, target, rest = argv[0], argv[1], argv[2:]
    sys.argv = [target, *rest]
    if kind == "-m":
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        runpy.run_path(target, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
