"""Outbound attempts in a launched server's log: a look-up or a connection to anything but loopback.

The live tier may send traffic to 127.0.0.0/8 only. Every server the harness launches is configured not
to reach out (agents_compat/launchers/recipes/ cites each setting), and each container's resolv.conf points
at 127.0.0.1 so a look-up that slips through fails on loopback. This module is the last line: it reads
the servers' logs at session end, and the plugin fails a session whose servers tried to reach out.

Only attempts count, not mentions: a server that prints its configuration (Ollama lists its allowed
origins and remote hosts) names hosts it never contacts. So each pattern matches the wording a client
library uses when it resolves or dials a host (Go's net and net/http, libcurl, Python's urllib3, aiohttp
and socket), and the host it names must be a loopback one for the line to pass.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# Each pattern captures the host (or URL) the attempt was for; a pattern without one is always outbound.
_ATTEMPTS = [
    # Go's net/http errors name the URL (in a JSON log the quotes are escaped): `Get "https://ollama.com/..."`
    re.compile(r'\b(?:Get|Post|Put|Patch|Head|Delete) \\?"(?P<url>[a-z][a-z0-9+.\-]*://[^"\\\s]+)'),
    # Go's resolver: `dial tcp: lookup ollama.com on 10.0.0.2:53: no such host`
    # (Go's DNSError reads `lookup NAME on SERVER: ERR` or `lookup NAME: ERR`; a bare word such as Ollama's
    # "lookup failed" is not one: the name must have a dot, or be followed by the server it asked.)
    re.compile(r"\blookup (?P<host>[\w\-]+(?:\.[\w\-]+)+\.?|[\w\-]+(?= on ))(?: on \S+)?:"),
    # Go's dialer: `dial tcp 140.82.112.3:443: connect: connection refused` (not `dial tcp: lookup ...`)
    re.compile(r"\bdial (?:tcp|udp)[46]? (?P<host>\[[^\]]+\]|[^\s:]+):\d+"),
    # libcurl (llama.cpp's -hf downloads): `Could not resolve host: huggingface.co`
    re.compile(r"\bCould not resolve (?:host|proxy): (?P<host>[^\s;,]+)"),
    re.compile(r"\bFailed to connect to (?P<host>\S+) port \d+"),
    # Python: urllib3 `HTTPSConnectionPool(host='raw.githubusercontent.com', port=443)`, its
    # NameResolutionError `Failed to resolve 'raw.githubusercontent.com'`, aiohttp `Cannot connect to host x:443`
    re.compile(r"\bHTTPS?ConnectionPool\(host='(?P<host>[^']+)'"),
    re.compile(r"\bFailed to resolve '(?P<host>[^']+)'"),
    re.compile(r"\bCannot connect to host (?P<host>\[[^\]]+\]|[^\s:]+):\d+"),
    # agents_compat/launchers/loopback_guard.py, around a Python server: `... refused look-up of 'example.com' (...)`
    re.compile(r"compat-harness loopback guard: refused (?:look-up of|connection to) '(?P<host>[^']*)'"),
    re.compile(r"compat-harness loopback guard: refused listening on '(?P<listen>[^']*)'"),
    # Resolver failures that name no host: a loopback name never needs the network to resolve.
    re.compile(r"Temporary failure in name resolution|Name or service not known|getaddrinfo (?:failed|ENOTFOUND)"),
    # A fetch or download from a URL, as servers word their own start-up fetches
    # (LiteLLM: `Failed to fetch remote model cost map from https://...`).
    re.compile(
        r"(?i)\b(?:fetch|fetching|download|downloading|refresh(?:ing)?)\b[^\n]*?\b(?P<url>https?://[^\s\"'\]]+)"
    ),
]

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


@dataclass(frozen=True)
class Attempt:
    """One log line of one server that shows it tried to reach ``target``."""

    server: str
    target: str
    line: str

    def __str__(self) -> str:
        return f"{self.server}: tried to reach {self.target}: {self.line}"


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1, the unspecified address (it dials this machine) or a loopback name."""
    host = host.strip("[]").rstrip(".").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _target(match: re.Match[str]) -> str | None:
    """The host the attempt went to, or None when it is a loopback one (allowed)."""
    groups = match.groupdict()
    if groups.get("url"):
        host = urlsplit(groups["url"]).hostname or groups["url"]
    elif groups.get("host"):
        host = groups["host"]
    elif groups.get("listen") is not None:  # the guard printed it because the address is not a loopback one
        return f"listeners on {groups['listen'] or 'every interface'}"
    else:
        return "a name server (the line names no host)"
    return None if is_loopback(host) else host


def attempts_in(server: str, log: str) -> list[Attempt]:
    """Every line of ``log`` that shows an attempt to reach a host other than this machine's loopback."""
    found = []
    for line in log.splitlines():
        for pattern in _ATTEMPTS:
            targets = [t for t in map(_target, pattern.finditer(line)) if t is not None]
            if targets:
                found.append(Attempt(server, targets[0], " ".join(line.split())[:500]))
                break
    return found


def render(attempts: list[Attempt]) -> str:
    """The failure text: what the rule is, and each offending line."""
    lines = [
        f"outbound: {len(attempts)} attempt(s) to reach off this machine in launched servers' logs "
        '(the live tier allows 127.0.0.1 only; docs/live-tier.md):'
    ]
    lines += [f"  {attempt}" for attempt in attempts]
    return "\n".join(lines)
