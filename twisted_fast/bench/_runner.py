"""
The harness: set up each side, calibrate, run interleaved rounds, keep medians.

Within a round every side runs once, in a fixed order (Twisted, fast, then the
floor if the workload has one, then its references such as uvloop), so that
slow phases of a noisy machine hit all sides alike.  The garbage collector stays enabled, as in real programs.
"""

from __future__ import annotations

import gc
import statistics
from dataclasses import dataclass, field
from typing import Callable

from twisted_fast.bench._registry import IMPLEMENTATIONS, Runner, Target, Workload

#: Never run more operations than this in one round.
MAX_OPS = 10**8

#: Called with one line of progress.
Progress = Callable[[str], None]


@dataclass
class Series:
    """
    One side's measurements at one parameter.

    @ivar values: the value per operation (seconds or bytes) of each round.
    @ivar ops: operations per round (1 for untimed workloads).
    """

    values: list[float]
    ops: int

    @property
    def median(self) -> float:
        """
        @return: the median over the rounds.
        """
        return statistics.median(self.values)

    @property
    def spread(self) -> float:
        """
        @return: half the range of the rounds, relative to the median.
        """
        median = self.median
        if not median:
            return 0.0
        return (max(self.values) - min(self.values)) / 2 / median


@dataclass
class ParamResult:
    """
    Results at one parameter value.

    @ivar series: by side: C{"twisted"}, C{"fast"}, C{"floor"} and each
        reference's name, for those that ran.
    @ivar skipped: by reference name, why that side did not run.
    @ivar info: by side, the extra numbers its runner's C{info()} returned
        (reported, not judged).
    """

    param: int
    series: dict[str, Series] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    info: dict[str, dict[str, float]] = field(default_factory=dict)

    def median(self, side: str) -> float | None:
        """
        @return: the median of C{side}, or C{None} if it did not run.
        """
        series = self.series.get(side)
        return None if series is None else series.median

    def ratio(self, numerator: str = "twisted", denominator: str = "fast") -> float | None:
        """
        @return: median of C{numerator} / median of C{denominator}, or C{None}
            if either did not run.
        """
        top, bottom = self.median(numerator), self.median(denominator)
        if top is None or not bottom:
            return None
        return top / bottom


@dataclass
class TargetResult:
    """
    How a workload did against its L{Target}.

    @ivar param: the parameter the value was judged at.
    @ivar value: the measured ratio (or, for C{"max"}, fast's median), or
        C{None} if it could not be computed.
    @ivar skipped: why the target could not be judged (its reference side was
        unavailable), or C{None}.
    """

    target: Target
    param: int
    value: float | None
    skipped: str | None = None

    @property
    def passed(self) -> bool:
        """
        @return: whether the target was met.
        """
        if self.value is None:
            return False
        if self.target.kind in ("speedup", "reference"):
            return self.value >= self.target.limit
        return self.value <= self.target.limit

    @property
    def verdict(self) -> str:
        """
        @return: C{"PASS"}, C{"MISS"}, or C{"SKIP"} when skipped.
        """
        if self.skipped is not None:
            return "SKIP"
        return "PASS" if self.passed else "MISS"


@dataclass
class WorkloadResult:
    """
    Everything measured for one workload.

    @ivar target: the result of the workload's first target.
    @ivar targets: the results of all its targets, in order.
    @ivar error: the traceback, if the workload failed.
    """

    workload: Workload
    params: list[ParamResult] = field(default_factory=list)
    target: TargetResult | None = None
    error: str | None = None
    targets: list[TargetResult] = field(default_factory=list)


def calibrate(run: Runner, roundTime: float, step: int = 1) -> int:
    """
    Find how many operations take about C{roundTime} seconds.  The trial runs
    double as warm-up.

    @param run: the runner.
    @param roundTime: seconds one round should take.
    @param step: every count passed to C{run} is a multiple of this.
    @return: the number of operations per round: a multiple of C{step}, at
        least C{step}.
    """
    ops = step
    while True:
        elapsed = run(ops)
        if elapsed >= roundTime / 4 or ops >= MAX_OPS:
            break
        ops *= min(10, max(2, int(roundTime / 4 / max(elapsed, 1e-9)) + 1))
    wanted = min(MAX_OPS, round(ops * roundTime / max(elapsed, 1e-9)))
    return max(step, round(wanted / step) * step)


def closeRunners(runners: dict[str, Runner]) -> None:
    """
    Call the C{close()} of each runner that has one.
    """
    for run in runners.values():
        close = getattr(run, "close", None)
        if close is not None:
            close()


def formatValue(value: float | None, unit: str) -> str:
    """
    @param value: seconds or bytes per operation.
    @param unit: C{"s"} or C{"B"}.
    @return: C{value} with a readable unit, e.g. C{"152 ns"}, C{"3.41 ms"}.
    """
    if value is None:
        return "-"
    if unit == "B":
        return f"{value:.0f} B"
    for scale, name in ((1e-6, "ns"), (1e-3, "us"), (1.0, "ms")):
        if value < scale:
            return f"{value / scale * 1000:.3g} {name}"
    return f"{value:.3g} s"


def runWorkload(
    workload: Workload,
    rounds: int,
    roundTime: float,
    quick: bool,
    progress: Progress,
) -> WorkloadResult:
    """
    Measure C{workload} on both implementations (and its floor and
    references), closing each side's runner after its last round.

    @param workload: what to run.
    @param rounds: rounds per side and parameter.
    @param roundTime: seconds a timed round should take.
    @param quick: use the workload's quick parameters.
    @param progress: receives progress lines.
    @return: the results.
    """
    result = WorkloadResult(workload)
    if workload.maxRounds is not None:
        rounds = min(rounds, workload.maxRounds)
    for param in workload.paramsFor(quick):
        # The caller announces the workload: each line says which parameter.
        where = f"{workload.paramName}={param:,}"
        runners: dict[str, Runner] = {}
        try:
            paramResult = _runParam(
                workload, param, rounds, roundTime, runners, where, progress
            )
        finally:
            closeRunners(runners)
            del runners
            gc.collect()
        if paramResult is not None:
            result.params.append(paramResult)
    for target in workload.allTargets:
        targetResult = evaluate(target, result.params)
        if targetResult is not None:
            result.targets.append(targetResult)
    if result.targets and workload.target is not None:
        result.target = result.targets[0]
    return result


def _runParam(
    workload: Workload,
    param: int,
    rounds: int,
    roundTime: float,
    runners: dict[str, Runner],
    where: str,
    progress: Progress,
) -> ParamResult | None:
    """
    Set up every side of C{workload} at C{param} into C{runners} (which the
    caller closes), calibrate, and run the rounds.

    @return: the results, or C{None} if no implementation runs at C{param}.
    """
    timed = workload.unit == "s" and not workload.selfTimed
    for implementation in IMPLEMENTATIONS.values():
        if workload.runsOn(implementation, param):
            progress(f"{where}: setting up {implementation.name}")
            runners[implementation.name] = workload.setup(implementation, param)
    if not runners:
        return None
    paramResult = ParamResult(param)
    if workload.floor is not None:
        runners["floor"] = workload.floor(param)
    for reference in workload.references:
        reason = reference.unavailable()
        if reason is not None:
            progress(f"{where}: skipping {reference.name}: {reason}")
            paramResult.skipped[reference.name] = reason
            continue
        progress(f"{where}: setting up {reference.name}")
        runners[reference.name] = reference.setup(param)
    ops = {side: 1 for side in runners}
    if timed:
        for side, run in runners.items():
            progress(f"{where}: calibrating {side}")
            ops[side] = calibrate(run, roundTime, workload.stepFor(param))
    for side in runners:
        paramResult.series[side] = Series([], ops[side])
    for number in range(1, rounds + 1):
        for side, run in runners.items():
            value = run(ops[side])
            paramResult.series[side].values.append(value / ops[side])
        progress(
            f"{where}: round {number}/{rounds}: "
            + ", ".join(
                f"{side} {formatValue(series.values[-1], workload.unit)}"
                for side, series in paramResult.series.items()
            )
        )
    for side, run in runners.items():
        info = getattr(run, "info", None)
        if info is not None:
            paramResult.info[side] = dict(info())
    return paramResult


def evaluate(target: Target, params: list[ParamResult]) -> TargetResult | None:
    """
    @param target: the goal.
    @param params: the results, in increasing parameter order.
    @return: the value against the target, or C{None} if nothing ran.
    """
    if not params:
        return None
    if target.kind == "growth":
        ran = [p for p in params if p.median("fast") is not None]
        if len(ran) < 2:
            return TargetResult(target, params[-1].param, None)
        first, last = ran[0].median("fast"), ran[-1].median("fast")
        assert first is not None and last is not None
        return TargetResult(target, ran[-1].param, last / first if first else None)
    wanted = target.param if target.param is not None else params[0].param
    at = next((p for p in params if p.param == wanted), None)
    if at is None:
        return TargetResult(target, wanted, None)
    if target.kind == "speedup":
        return TargetResult(target, wanted, at.ratio("twisted", "fast"))
    if target.kind == "reference":
        assert target.reference is not None
        skipped = at.skipped.get(target.reference)
        return TargetResult(
            target, wanted, at.ratio(target.reference, "fast"), skipped
        )
    if target.kind == "max":
        return TargetResult(target, wanted, at.median("fast"))
    return TargetResult(target, wanted, at.ratio("fast", "floor"))
