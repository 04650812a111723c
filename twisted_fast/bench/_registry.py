"""
The workload registry: what a benchmark is, and the implementations it runs on.

A L{Workload} names a measurement and gives one C{setup} function that works
for every L{Implementation}: C{setup(implementation, param)} builds the state
(for example a clock with C{param} pending timers) and returns a L{Runner}.
The harness in L{twisted_fast.bench._runner} calls the runner alternately for
each implementation and keeps the medians.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable, Literal

from twisted_fast import _compat

#: Run C{ops} operations, return the elapsed seconds (timed workloads), or
#: ignore C{ops} and return the measured value itself (untimed workloads, such
#: as bytes per timer).  A runner that holds resources (a reactor's file
#: descriptors, an event loop) may carry a C{close()} attribute: the harness
#: calls it after the last round.  A runner may also carry an C{info()}
#: attribute returning extra numbers to report but not judge (for example how
#: late timers fired), as a C{dict} from a name to a number; a name ending in
#: C{"_s"} is in seconds.  The harness calls it after the last round, before
#: C{close()}.
Runner = Callable[[int], float]


@dataclass(frozen=True)
class Implementation:
    """
    One side of the comparison.

    @ivar name: C{"twisted"} or C{"fast"}: the key used in results and JSON.
    @ivar label: column heading for the report.
    @ivar clock: the C{Clock} class.
    @ivar delayedCall: the C{DelayedCall} class.
    @ivar accelerated: C{True} when the classes come from the C extension.
    """

    name: str
    label: str
    clock: type
    delayedCall: type
    accelerated: bool


TWISTED = Implementation(
    "twisted", "Twisted", _compat.TwistedClock, _compat.TwistedDelayedCall, False
)
FAST = Implementation(
    "fast", "twisted-fast", _compat.Clock, _compat.DelayedCall, _compat.ACCELERATED
)
#: Both sides, in the order each round runs them.
IMPLEMENTATIONS: dict[str, Implementation] = {i.name: i for i in (TWISTED, FAST)}

#: How to install what the benchmark can use but the package does not need
#: (matplotlib for C{--plot}, uvloop for a third side).
INSTALL_HINT = "pip install 'twisted-fast[bench]'"


@dataclass(frozen=True)
class Target:
    """
    A goal a workload should meet: the maintainers' notes on what the C
    extension was designed to achieve, shown with C{--targets} (PASS or MISS,
    never a failure) and always kept in the JSON.

    @ivar kind: how the value is computed from the medians:
        - C{"speedup"}: Twisted / fast at C{param}, must be >= C{limit};
        - C{"floor"}: fast / floor at C{param}, must be <= C{limit};
        - C{"growth"}: fast at the largest parameter / fast at the smallest,
          must be <= C{limit};
        - C{"reference"}: the L{Reference} side named C{reference} / fast at
          C{param}, must be >= C{limit} (skipped, not missed, when that side
          is unavailable);
        - C{"max"}: fast's own median at C{param}, in the workload's unit,
          must be <= C{limit} (an absolute bound, e.g. bytes per timer).
    @ivar limit: the bound on that value.
    @ivar param: where every kind but C{"growth"} is judged; C{None} means
        the smallest parameter that was run.
    @ivar description: one line for the report, e.g. C{"fast <= 3x floor"}.
    @ivar reference: the name of the L{Reference} side, for C{"reference"}.
    """

    kind: Literal["speedup", "floor", "growth", "reference", "max"]
    limit: float
    description: str
    param: int | None = None
    reference: str | None = None


def _available() -> str | None:
    return None


@dataclass(frozen=True)
class Reference:
    """
    A third-party side timed in the same rounds as Twisted and fast (after
    them and the floor), for example another event loop.

    @ivar name: short key for results and JSON, e.g. C{"uvloop"}; must not
        be C{"twisted"}, C{"fast"} or C{"floor"}.
    @ivar label: how the report names it, e.g. C{"uvloop call_later+cancel"}.
    @ivar setup: C{setup(param)} builds the state and returns the L{Runner}.
    @ivar unavailable: returns why the side cannot run here (for example a
        package that is not installed), or C{None} when it can.  An
        unavailable side is reported as skipped, not as a failure.
    """

    name: str
    label: str
    setup: Callable[[int], Runner]
    unavailable: Callable[[], str | None] = _available


@dataclass(frozen=True)
class Workload:
    """
    One benchmark.

    @ivar name: short unique name, matched by C{--only}.
    @ivar title: the name in plain words for the plot's legend, e.g.
        C{"Clock: callLater + cancel"}; empty: C{name}.
    @ivar description: what one operation is, and any caveat.
    @ivar setup: C{setup(implementation, param)} builds the state and returns
        the L{Runner}; called once per implementation and parameter, before
        the interleaved rounds.
    @ivar params: parameter values (for example numbers of pending timers).
    @ivar quickParams: the values for C{--quick}; C{None} means C{params}.
    @ivar paramName: what the parameter is, for the report and the plot.
    @ivar unit: C{"s"}: timed, the harness picks the number of operations per
        round and reports seconds per operation; C{"B"}: untimed, the runner
        returns bytes per item itself, once per round.
    @ivar pythonMaxParam: the largest parameter run on a pure-Python
        implementation (Twisted's, and the C{fast} side in fallback mode),
        when larger ones would take too long; C{None}: no limit.
    @ivar floor: like C{setup} but without an implementation: a reference
        loop (for example two empty C method calls) timed in the same rounds.
    @ivar floorName: how the report names the floor.
    @ivar target: the goal, if any.
    @ivar maxRounds: at most this many rounds, whatever C{--rounds} says, for
        slow measurements that vary little (memory); C{None}: no limit.
    @ivar references: third-party sides timed in the same rounds.
    @ivar targets: more goals, after C{target}.
    @ivar opsStep: timed runners are only ever asked for a multiple of this
        many operations (e.g. whole batches or bursts); or a function of the
        parameter returning that number (see L{stepFor}).
    @ivar selfTimed: for a C{unit} of C{"s"}: the runner ignores C{ops} and
        returns the seconds per operation itself, once per round, with no
        calibration (e.g. CPU time per tick over a run of fixed duration).
    """

    name: str
    description: str
    setup: Callable[[Implementation, int], Runner]
    params: tuple[int, ...]
    quickParams: tuple[int, ...] | None = None
    paramName: str = "pending timers"
    unit: Literal["s", "B"] = "s"
    pythonMaxParam: int | None = None
    floor: Callable[[int], Runner] | None = None
    floorName: str = "floor"
    target: Target | None = None
    maxRounds: int | None = None
    references: tuple[Reference, ...] = ()
    targets: tuple[Target, ...] = ()
    opsStep: int | Callable[[int], int] = 1
    selfTimed: bool = False
    title: str = ""

    @property
    def plainTitle(self) -> str:
        """
        @return: C{title}, or C{name} when there is none.
        """
        return self.title or self.name

    @property
    def allTargets(self) -> tuple[Target, ...]:
        """
        @return: C{target} (if any) then C{targets}.
        """
        first = () if self.target is None else (self.target,)
        return first + self.targets

    def paramsFor(self, quick: bool) -> tuple[int, ...]:
        """
        @param quick: whether C{--quick} was given.
        @return: the parameter values to run.
        """
        if quick and self.quickParams is not None:
            return self.quickParams
        return self.params

    def stepFor(self, param: int) -> int:
        """
        @return: timed runners at C{param} are only ever asked for a multiple
            of this many operations.
        """
        return self.opsStep(param) if callable(self.opsStep) else self.opsStep

    def runsOn(self, implementation: Implementation, param: int) -> bool:
        """
        @return: whether C{param} is run on C{implementation}.
        """
        return (
            implementation.accelerated
            or self.pythonMaxParam is None
            or param <= self.pythonMaxParam
        )


#: Modules that define workloads; importing one registers its workloads.  A
#: new workload module adds itself here.
WORKLOAD_MODULES = (
    "twisted_fast.bench.clock",
    "twisted_fast.bench.reactor",
    "twisted_fast.bench.loopingcall",
    "twisted_fast.bench.cooperator",
)

_registry: dict[str, Workload] = {}


def register(workload: Workload) -> Workload:
    """
    Add C{workload} to the registry.

    @param workload: the workload; its name must be new.
    @return: C{workload}.
    @raise ValueError: if the name is taken.
    """
    if workload.name in _registry:
        raise ValueError(f"duplicate workload name {workload.name!r}")
    _registry[workload.name] = workload
    return workload


def allWorkloads() -> list[Workload]:
    """
    @return: every registered workload, in registration order (importing
        L{WORKLOAD_MODULES} first).
    """
    for module in WORKLOAD_MODULES:
        importlib.import_module(module)
    return list(_registry.values())


def inSubprocess(
    function: Callable[[Implementation, int], float],
) -> Callable[[Implementation, int], Runner]:
    """
    Make a C{setup} that runs C{function(implementation, param)} in a fresh
    interpreter each round, so that its heap holds nothing from the other
    workloads (needed to measure memory from RSS).

    @param function: a module-level function returning a number.
    @return: a C{setup} for L{Workload}.
    """
    reference = f"{function.__module__}:{function.__qualname__}"

    def setup(implementation: Implementation, param: int) -> Runner:
        def run(ops: int) -> float:
            return runChild(reference, implementation.name, param)

        return run

    return setup


def runChild(reference: str, implementation: str, param: int) -> float:
    """
    Run C{python -m twisted_fast.bench._child} and return its result.

    @param reference: C{"module:function"}.
    @param implementation: a key of L{IMPLEMENTATIONS}.
    @param param: the workload parameter.
    @return: the number the function returned.
    @raise RuntimeError: if the child fails.
    """
    packageRoot = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (packageRoot, env.get("PYTHONPATH", "")) if p
    )
    command = [sys.executable, "-m", "twisted_fast.bench._child"]
    process = subprocess.run(
        command + [reference, implementation, str(param)],
        env=env,
        capture_output=True,
        text=True,
    )
    if process.returncode != 0:
        raise RuntimeError(
            f"{reference} ({implementation}, {param}) failed in a subprocess:\n"
            + process.stderr
        )
    return float(json.loads(process.stdout.splitlines()[-1]))
