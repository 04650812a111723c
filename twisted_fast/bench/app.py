"""
Application workloads: what users see (C{python -m twisted_fast.bench --only app}).

Each workload runs a small server on 127.0.0.1 in a child process, on Twisted's
plain reactor (C{epollreactor}) or with L{twisted_fast.install}, sides
alternating round by round; a load generator, where there is one, is another
process (plain sockets and C{selectors}, no Twisted), so the CPU measured is
the server's alone.  Each child measures a window of C{--duration} seconds
after a warm-up and reports:

  - C{ops}: requests answered, heartbeats written, ticks run or work units;
  - C{cpu}: the server process's CPU seconds (user + system) in the window;
  - C{gc}: seconds spent in the cyclic GC (C{gc.callbacks}) and collections;
  - C{epoll_ctl}, C{epoll_wait}: calls made on the reactor's epoll object,
    counted by a proxy around it, in separate counting rounds (the proxy's
    own cost stays out of the timed rounds).

Workloads:

  - C{web}: twisted.web keep-alive, C{--connections} connections (200), each
    sending its next request when the previous response is in;
  - C{web-timeout}: the same, each request scheduling a 30 s C{callLater}
    cancelled when the response is written;
  - C{heartbeat}: C{--heartbeats} connections (5,000, fewer if the descriptor
    limit says so), each written to once a second by its own C{LoopingCall};
  - C{loopingcall}: 20,000 C{LoopingCall}s at 1 s, doing nothing;
  - C{cooperate}: 10,000 C{cooperate()} tasks, each an endless generator.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

WORKLOADS = ("web", "web-timeout", "heartbeat", "loopingcall", "cooperate")
SIDES = ("plain", "fast")
WARMUP = 0.5


# --- the load generators (no Twisted) ----------------------------------------------


def _httpClients(port: int, connections: int, seconds: float) -> None:
    """
    Keep-alive HTTP/1.1 clients: each sends a request, reads the whole
    response (headers and C{Content-Length} body), sends the next.
    """
    request = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
    sel = selectors.DefaultSelector()
    for _ in range(connections):
        s = socket.create_connection(("127.0.0.1", port))
        s.setblocking(False)
        s.send(request)
        sel.register(s, selectors.EVENT_READ, bytearray())
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for key, _ in sel.select(0.5):
            sock, buf = key.fileobj, key.data
            try:
                data = sock.recv(65536)  # type: ignore[union-attr]
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(sock)
                continue
            buf += data
            while True:
                head = buf.find(b"\r\n\r\n")
                if head < 0:
                    break
                length = 0
                for line in bytes(buf[:head]).split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if len(buf) < head + 4 + length:
                    break
                del buf[: head + 4 + length]
                sock.send(request)  # type: ignore[union-attr]


def _idleClients(port: int, connections: int, seconds: float) -> None:
    """
    Connections that read (and drop) whatever the server writes.
    """
    sel = selectors.DefaultSelector()
    for _ in range(connections):
        s = socket.create_connection(("127.0.0.1", port))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for key, _ in sel.select(0.5):
            try:
                if not key.fileobj.recv(65536):  # type: ignore[union-attr]
                    sel.unregister(key.fileobj)
            except BlockingIOError:
                pass


# --- the server side ----------------------------------------------------------------


class _CountingPoller:
    """
    A proxy around an epoll object counting C{register}/C{modify}/
    C{unregister} (C{epoll_ctl}) and C{poll} (C{epoll_wait}).
    """

    def __init__(self, poller: Any) -> None:
        self._p = poller
        self.ctl = 0
        self.wait = 0

    def register(self, *a: Any) -> Any:
        self.ctl += 1
        return self._p.register(*a)

    def modify(self, *a: Any) -> Any:
        self.ctl += 1
        return self._p.modify(*a)

    def unregister(self, *a: Any) -> Any:
        self.ctl += 1
        return self._p.unregister(*a)

    def poll(self, *a: Any) -> Any:
        self.wait += 1
        return self._p.poll(*a)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._p, name)


class _GCTimer:
    """
    Time spent in the cyclic GC, through C{gc.callbacks}.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._start = 0.0
        gc.callbacks.append(self)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start
            self.collections += 1


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(
    workload: str, side: str, duration: float, scale: dict[str, int], count: bool,
    warmup: float = WARMUP,
) -> dict[str, Any]:
    """
    Run one side of one workload in this (fresh) process; return its numbers.
    """
    if side == "fast":
        import twisted_fast

        twisted_fast.install()
    else:
        from twisted.internet import epollreactor

        epollreactor.install()
    from twisted.internet import reactor, task

    r: Any = reactor
    counter = _CountingPoller(r._poller) if count else None
    if counter is not None:
        r._poller = counter
    gcTimer = _GCTimer()
    ops = [0]
    helper: subprocess.Popen[bytes] | None = None
    generatorSeconds = warmup + duration + 1.5

    def spawn(kind: str, port: int, n: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "twisted_fast.bench.app", "--generator", kind,
             "--port", str(port), "--n", str(n), "--duration", str(generatorSeconds)],
        )

    if workload in ("web", "web-timeout"):
        from twisted.web import resource as webResource
        from twisted.web import server

        timeout = workload == "web-timeout"

        class Hello(webResource.Resource):
            isLeaf = True

            def render_GET(self, request: Any) -> bytes:
                call = r.callLater(30, request.loseConnection) if timeout else None
                ops[0] += 1
                if call is not None:
                    call.cancel()
                return b"hello, world\n"

        site = server.Site(Hello())
        site.log = lambda request: None  # type: ignore[method-assign]
        port = r.listenTCP(0, site, interface="127.0.0.1", backlog=1024)
        helper = spawn("http", port.getHost().port, scale["connections"])
    elif workload == "heartbeat":
        from twisted.internet import protocol

        class Beat(protocol.Protocol):
            def connectionMade(self) -> None:
                self.loop = task.LoopingCall(self.beat)
                r.callLater(random.random(), self.loop.start, 1.0)

            def beat(self) -> None:
                ops[0] += 1
                self.transport.write(b"ping\n")

            def connectionLost(self, reason: Any) -> None:
                if self.loop.running:
                    self.loop.stop()

        port = r.listenTCP(0, protocol.Factory.forProtocol(Beat), interface="127.0.0.1",
                           backlog=4096)
        helper = spawn("idle", port.getHost().port, scale["heartbeats"])
    elif workload == "loopingcall":
        def tick() -> None:
            ops[0] += 1

        for _ in range(scale["loopingcalls"]):
            r.callLater(random.random(), task.LoopingCall(tick).start, 1.0)
    elif workload == "cooperate":
        def work() -> Any:
            while True:
                ops[0] += 1
                yield None

        for _ in range(scale["tasks"]):
            task.cooperate(work())
    else:
        raise SystemExit(f"unknown workload {workload}")

    result: dict[str, Any] = {}

    def snapshot() -> tuple[float, int, float, int, int, int]:
        return (
            _cpu(), ops[0], gcTimer.seconds, gcTimer.collections,
            counter.ctl if counter else 0, counter.wait if counter else 0,
        )

    def begin() -> None:
        result["start"] = snapshot()
        result["t0"] = time.monotonic()
        r.callLater(duration, end)

    def end() -> None:
        stop = snapshot()
        start = result.pop("start")
        result.update(
            wall=time.monotonic() - result.pop("t0"),
            cpu=stop[0] - start[0], ops=stop[1] - start[1],
            gc=stop[2] - start[2], gcCollections=stop[3] - start[3],
            epollCtl=stop[4] - start[4], epollWait=stop[5] - start[5],
        )
        r.stop()

    def whenLoaded() -> None:
        # The window starts once the load generator's work arrives (its
        # start-up varies), after the warm-up.
        if helper is not None and ops[0] == 0:
            r.callLater(0.05, whenLoaded)
        else:
            r.callLater(warmup, begin)

    whenLoaded()
    r.run(installSignalHandlers=False)
    if helper is not None:
        helper.kill()
        helper.wait()
    return result


def _scale(quick: bool, heartbeats: int) -> dict[str, int]:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    # Each heartbeat connection costs one descriptor in the server and one
    # in the generator (separate processes, separate limits).
    fit = max(10, soft - 200)
    if quick:
        return {"connections": 10, "heartbeats": min(50, fit), "loopingcalls": 500,
                "tasks": 200}
    return {"connections": 200, "heartbeats": min(heartbeats, fit),
            "loopingcalls": 20000, "tasks": 10000}


def _runChild(workload: str, side: str, duration: float, scale: dict[str, int],
              count: bool, warmup: float) -> dict[str, Any]:
    args = [sys.executable, "-m", "twisted_fast.bench.app", "--child", workload,
            "--side", side, "--duration", str(duration), "--scale", json.dumps(scale),
            "--warmup", str(warmup)]
    if count:
        args.append("--count")
    out = subprocess.run(args, check=True, stdout=subprocess.PIPE, timeout=120 + duration)
    return dict(json.loads(out.stdout.decode().strip().splitlines()[-1]))


def _ratio(a: float, b: float) -> float:
    """
    C{a / b}, NaN when C{b} is 0 (a window too short for the CPU clock).
    """
    return a / b if b else math.nan


UNITS = {"web": "request", "web-timeout": "request", "heartbeat": "heartbeat",
         "loopingcall": "tick", "cooperate": "work unit"}


def run(workloads: list[str], rounds: int, duration: float, quick: bool,
        heartbeats: int = 5000, out: Any = None, warmup: float = WARMUP) -> dict[str, Any]:
    """
    Run C{workloads}, sides alternating each round, print a table and
    return the results.

    @param rounds: timed rounds per side (then one counting round per side).
    @param duration: seconds measured per round.
    @param quick: small scale (10 connections, 50 heartbeats...).
    @param heartbeats: connections of the heartbeat workload (fewer if the
        descriptor limit says so).
    @param warmup: seconds each child runs before its window.
    @return: per workload, per side, the medians; and the ratios.
    """
    out = out or sys.stdout
    scale = _scale(quick, heartbeats)
    print(
        f"application workloads on 127.0.0.1: {rounds} rounds per side, alternating,"
        f" {duration:g} s windows; scale {scale}",
        file=out, flush=True,
    )
    results: dict[str, Any] = {}
    for workload in workloads:
        rows: dict[str, list[dict[str, Any]]] = {side: [] for side in SIDES}
        for i in range(rounds):
            order = SIDES if i % 2 == 0 else SIDES[::-1]
            for side in order:
                rows[side].append(_runChild(workload, side, duration, scale, False, warmup))
        counted = {
            side: _runChild(workload, side, duration, scale, True, warmup) for side in SIDES
        }
        summary: dict[str, Any] = {}
        for side in SIDES:
            rates = [row["ops"] / row["wall"] for row in rows[side]]
            cpus = [row["cpu"] / max(row["ops"], 1) for row in rows[side]]
            gcs = [row["gc"] / max(row["ops"], 1) for row in rows[side]]
            colls = [1000 * row["gcCollections"] / max(row["ops"], 1) for row in rows[side]]
            c = counted[side]
            summary[side] = {
                "opsPerSecond": statistics.median(rates),
                "cpuPerOp": statistics.median(cpus),
                "cpuPerOpAll": cpus,
                "gcPerOp": statistics.median(gcs),
                "gcCollectionsPer1000": statistics.median(colls),
                "epollCtlPerOp": c["epollCtl"] / max(c["ops"], 1),
                "epollWaitPerOp": c["epollWait"] / max(c["ops"], 1),
            }
        ratios = sorted(
            _ratio(f, p)
            for f, p in zip(summary["fast"]["cpuPerOpAll"], summary["plain"]["cpuPerOpAll"])
        )
        summary["cpuRatio"] = _ratio(summary["fast"]["cpuPerOp"], summary["plain"]["cpuPerOp"])
        summary["cpuRatioRounds"] = ratios
        summary["rateRatio"] = _ratio(
            summary["fast"]["opsPerSecond"], summary["plain"]["opsPerSecond"]
        )
        results[workload] = summary
        unit = UNITS[workload]
        p, f = summary["plain"], summary["fast"]
        print(f"\n{workload} (per {unit})", file=out)
        print(f"  {'':28}{'plain':>12}{'fast':>12}{'fast/plain':>12}", file=out)
        print(f"  {unit + 's/s':28}{p['opsPerSecond']:>12.0f}{f['opsPerSecond']:>12.0f}"
              f"{summary['rateRatio']:>12.2f}", file=out)
        print(f"  {'CPU us/' + unit:28}{p['cpuPerOp'] * 1e6:>12.2f}{f['cpuPerOp'] * 1e6:>12.2f}"
              f"{summary['cpuRatio']:>12.2f}  (rounds {ratios[0]:.2f}-{ratios[-1]:.2f})",
              file=out)
        print(f"  {'gc us/' + unit:28}{p['gcPerOp'] * 1e6:>12.3f}{f['gcPerOp'] * 1e6:>12.3f}",
              file=out)
        print(f"  {'gc collections/1000':28}{p['gcCollectionsPer1000']:>12.2f}"
              f"{f['gcCollectionsPer1000']:>12.2f}", file=out)
        print(f"  {'epoll_ctl/' + unit:28}{p['epollCtlPerOp']:>12.3f}{f['epollCtlPerOp']:>12.3f}",
              file=out)
        print(f"  {'epoll_wait/' + unit:28}{p['epollWaitPerOp']:>12.3f}"
              f"{f['epollWaitPerOp']:>12.3f}", file=out, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    """
    The parent (C{python -m twisted_fast.bench --only app}), a child
    (C{--child}), or a load generator (C{--generator}).
    """
    parser = argparse.ArgumentParser(prog="python -m twisted_fast.bench.app")
    parser.add_argument("--child", choices=WORKLOADS)
    parser.add_argument("--side", choices=SIDES)
    parser.add_argument("--generator", choices=("http", "idle"))
    parser.add_argument("--port", type=int)
    parser.add_argument("--n", type=int)
    parser.add_argument("--scale")
    parser.add_argument("--count", action="store_true")
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--warmup", type=float, default=WARMUP)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--only", action="append", choices=WORKLOADS)
    options = parser.parse_args(argv)
    if options.generator:
        (_httpClients if options.generator == "http" else _idleClients)(
            options.port, options.n, options.duration
        )
        return 0
    if options.child:
        result = _child(options.child, options.side, options.duration,
                        json.loads(options.scale), options.count, options.warmup)
        print(json.dumps(result), flush=True)
        return 0
    results = run(options.only or list(WORKLOADS), options.rounds, options.duration,
                  options.quick, warmup=options.warmup)
    if options.json:
        with open(options.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
