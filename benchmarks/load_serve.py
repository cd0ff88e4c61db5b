"""Load on a served emulator (a script, not a test): ``python benchmarks/load_serve.py``.

Starts ``python -m agents_compat serve NAME`` as its own process (through the process launcher), then sends
REQUESTS requests from CLIENTS concurrent ``httpx.AsyncClient``s over loopback: Chat Completions and
Responses, streamed and not, in turn. Every response must be complete and valid: status 200, the
exact text asked for, and a stream that ends properly ([DONE] for chat, response.completed for
Responses). Prints throughput and p50/p99 latency; exits 1 if any request failed or went missing.
``--slow-clients 200`` runs the load beside 200 clients that send headers at a byte a second (reconnecting
when closed), which must not keep it from being served.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field

import httpx

from agents_compat.config.profiles import load_profiles
from agents_compat.launchers.process import launched
from agents_compat.wire.capture import parse_sse

KINDS = ("chat", "chat-stream", "responses", "responses-stream")


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def request_for(index: int, model: str) -> tuple[str, dict, str]:
    kind = KINDS[index % len(KINDS)]
    expected = f"load-{index}"
    prompt = f"Reply with exactly: {expected}"
    if kind.startswith("chat"):
        body = {"model": model, "messages": [{"role": "user", "content": prompt}]}
        path = "/chat/completions"
    else:
        body, path = {"model": model, "input": prompt}, "/responses"
    if kind.endswith("stream"):
        body["stream"] = True
    return path, body, expected


def problem(kind: str, response: httpx.Response, expected: str) -> str | None:
    """Why this response is not a complete, valid answer (None if it is)."""
    if response.status_code != 200:
        return f"{kind}: status {response.status_code}: {response.text[:120]}"
    if not kind.endswith("stream"):
        body = response.json()
        text = (
            body["choices"][0]["message"]["content"]
            if kind == "chat"
            else "".join(p["text"] for item in body["output"] for p in item.get("content", []))
        )
        return None if text == expected else f"{kind}: answered {text!r}, not {expected!r}"
    events = parse_sse(response.text)
    data = [e["data"] for e in events]
    if kind == "chat-stream":
        if data[-1:] != ["[DONE]"]:
            return f"{kind}: the stream did not end with [DONE]"
        text = "".join((c.get("delta") or {}).get("content") or "" for d in data[:-1] for c in d.get("choices", []))
    else:
        if not data or not isinstance(data[-1], dict) or data[-1].get("type") != "response.completed":
            return f"{kind}: the stream did not end with response.completed"
        text = "".join(d["delta"] for d in data if d.get("type") == "response.output_text.delta")
    return None if text == expected else f"{kind}: streamed {text!r}, not {expected!r}"


async def client(http: httpx.AsyncClient, model: str, indexes: list[int], tally: Tally) -> None:
    async with http:
        for index in indexes:
            path, body, expected = request_for(index, model)
            started = time.perf_counter()
            try:
                response = await http.post(path, json=body)
                found = problem(KINDS[index % len(KINDS)], response, expected)
            except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
                found = f"request {index}: {type(exc).__name__}: {exc}"
            tally.latencies.append(time.perf_counter() - started)
            if found:
                tally.errors.append(found)


def trickle(base_url: str, count: int, stop: threading.Event) -> threading.Thread:
    """``count`` slow-header clients: a byte a second each, a new connection for each one the server closes."""
    url = httpx.URL(base_url)
    address = (url.host, url.port or 80)
    line = b"GET /v1/models HTTP/1.1\r\nhost: x\r\nx-slow: " + b"a" * 100_000

    def connect() -> socket.socket | None:
        try:
            return socket.create_connection(address, timeout=2)
        except OSError:
            return None

    def run() -> None:
        clients = [c for c in (connect() for _ in range(count)) if c]
        sent = 0
        while not stop.is_set():
            for index, client in enumerate(clients):
                try:
                    client.send(line[sent : sent + 1])
                except OSError:
                    client.close()
                    clients[index] = connect() or client
            sent += 1
            stop.wait(1.0)
        for client in clients:
            client.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


async def load(base_url: str, api_key: str, model: str, requests: int, clients: int) -> tuple[Tally, float]:
    tally = Tally()
    shares = [list(range(i, requests, clients)) for i in range(clients)]
    # Built before the clock starts: each client loads its TLS context (~30 ms), which is not the server's time.
    headers = {"authorization": f"Bearer {api_key}"}
    https = [httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) for _ in shares]
    started = time.perf_counter()
    await asyncio.gather(*(client(http, model, share, tally) for http, share in zip(https, shares, strict=True)))
    return tally, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--profile", default="ollama-chat", help="a built-in profile whose emulator is served")
    parser.add_argument("--fault", default=None, help="serve through this fault (the checks must then fail)")
    parser.add_argument("--slow-clients", type=int, default=0, help="slow-header clients running beside the load")
    args = parser.parse_args(argv)
    profile = load_profiles()[args.profile]
    command = [sys.executable, "-m", "agents_compat", "serve", args.profile, "--port", "{port}"]
    command += ["--fault", args.fault] if args.fault else []
    served = profile.model_copy(update={"reach": "process", "command": command, "base_url": None})
    stop = threading.Event()
    with launched(served) as base_url:
        if args.slow_clients:
            slow = trickle(base_url, args.slow_clients, stop)
            time.sleep(2.0)  # every slot taken before the load starts
        try:
            tally, seconds = asyncio.run(
                load(base_url, profile.api_key or "k", profile.model, args.requests, args.clients)
            )
        finally:
            stop.set()
            if args.slow_clients:
                slow.join(10)
    answered = len(tally.latencies)
    latencies = sorted(tally.latencies)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(
        json.dumps(
            {
                "profile": args.profile,
                "requests": args.requests,
                "clients": args.clients,
                "slow_clients": args.slow_clients,
                "answered": answered,
                "errors": len(tally.errors),
                "seconds": round(seconds, 2),
                "requests_per_second": round(answered / seconds, 1),
                "p50_ms": round(p50, 1),
                "p99_ms": round(p99, 1),
            }
        )
    )
    for error in tally.errors[:10]:
        print(f"error: {error}", file=sys.stderr)
    return 0 if answered == args.requests and not tally.errors else 1


if __name__ == "__main__":
    sys.exit(main())
