"""A small closed-loop HTTP load generator on asyncio (no dependencies).

`concurrency` clients each send one request, wait for the whole response, and send
the next, for `seconds`. Every request opens a new connection (gunicorn's sync
workers close it after each response anyway). Latencies are per request, from
connect to the last byte.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0  # connection-level failures (refused, reset, timeout)
    bodies: list[bytes] = field(default_factory=list)  # first few non-2xx bodies, for the report

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        ok = sum(n for s, n in self.statuses.items() if s < 400)
        return ok / self.seconds if self.seconds else 0.0

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)


async def request(host: str, port: int, method: str, path: str, headers: dict[str, str], body: bytes = b"",
                  timeout: float = 300.0) -> tuple[int, bytes]:  # fmt: skip
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data


async def _run(host, port, make_request, concurrency: int, seconds: float, keep_bodies: int) -> Result:
    result = Result()
    deadline = time.perf_counter() + seconds

    async def client(n: int):
        i = 0
        while time.perf_counter() < deadline:
            method, path, headers, body = make_request(n, i)
            i += 1
            t0 = time.perf_counter()
            try:
                status, data = await request(host, port, method, path, headers, body)
            except (OSError, TimeoutError):
                result.errors += 1
                continue
            result.latencies.append(time.perf_counter() - t0)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status >= 400 and len(result.bodies) < keep_bodies:
                result.bodies.append(data[-600:])

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


def run(host, port, make_request, *, concurrency: int, seconds: float, keep_bodies: int = 3) -> Result:
    return asyncio.run(_run(host, port, make_request, concurrency, seconds, keep_bodies))


def get(path: str, headers: dict[str, str]):
    def make(_client: int, _i: int):
        return "GET", path, headers, b""

    return make
