"""
The application workloads of the benchmark (L{twisted_fast.bench.app}), run
tiny: each runs on both sides and reports every number in the expected
shape.  Nothing here judges speed.
"""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from twisted_fast.bench import app
from twisted_fast.bench.__main__ import splitApplication

pytestmark = pytest.mark.slow

KEYS = {
    "opsPerSecond", "cpuPerOp", "cpuPerOpAll", "gcPerOp", "gcCollectionsPer1000",
    "epollCtlPerOp", "epollWaitPerOp",
}


def test_eachWorkloadTiny() -> None:
    """
    Every workload, one tiny round per side: a table per workload and, for
    each side, positive rates and CPU per operation, and the counters.
    """
    out = io.StringIO()
    # A heartbeat connection writes once a second, starting at a random
    # point of its first second: only a window of over a second is sure to
    # see a beat (a 0.1 s one saw none on a loaded CI machine).
    short = [w for w in app.WORKLOADS if w != "heartbeat"]
    results = app.run(short, rounds=1, duration=0.1, quick=True, out=out, warmup=0.1)
    results.update(app.run(["heartbeat"], rounds=1, duration=1.2, quick=True,
                           out=out, warmup=0.1))
    text = out.getvalue()
    assert set(results) == set(app.WORKLOADS)
    for workload, summary in results.items():
        assert f"\n{workload} (per {app.UNITS[workload]})" in text
        for side in app.SIDES:
            numbers = summary[side]
            assert set(numbers) == KEYS
            assert numbers["opsPerSecond"] > 0, (workload, side)
            # (A window this short may see no CPU tick: 0 is possible.)
            assert numbers["cpuPerOp"] >= 0, (workload, side)
            assert numbers["gcPerOp"] >= 0
            assert numbers["epollCtlPerOp"] >= 0
        assert not summary["cpuRatio"] <= 0
        assert len(summary["cpuRatioRounds"]) == 1
    for line in ("CPU us/request", "epoll_ctl/request", "gc collections/1000",
                 "work units/s", "CPU us/heartbeat", "CPU us/tick"):
        assert line in text


def test_splitApplication() -> None:
    """
    C{--only app} selects every application workload, C{--only app-NAME}
    one, and other patterns go to the other workloads.
    """
    assert splitApplication(["app"]) == (list(app.WORKLOADS), [])
    assert splitApplication(["app-web", "cancel"]) == (["web"], ["cancel"])
    assert splitApplication(["app-web-timeout", "app-web"]) == (["web-timeout", "web"], [])
    assert splitApplication(None) == ([], [])


def test_commandLine() -> None:
    """
    C{python -m twisted_fast.bench --only app-cooperate --quick --rounds 1}
    prints the cooperate table and nothing of the other workloads.
    """
    out = subprocess.run(
        [sys.executable, "-m", "twisted_fast.bench", "--only", "app-cooperate",
         "--quick", "--rounds", "1"],
        check=True, stdout=subprocess.PIPE, text=True, timeout=120,
    ).stdout
    assert "cooperate (per work unit)" in out
    assert "web (per request)" not in out
