"""
Differential tests: random programs run on Twisted's C{Clock} (the reference)
and on the implementation under test must do exactly the same things.

A program is a list of steps.  A step schedules a call, cancels, resets or
delays one, advances or pumps the clock.  A scheduled call carries a script of
such operations, run when it fires: it may schedule more calls (with delay 0
too), cancel/reset/delay any call including itself, advance the clock from
inside the callback (letting an exception through or catching it), or raise.

After every step the two runs are compared on: the trace of what happened (each
firing with the clock time, each operation's outcome, exceptions), the clock's
time, the pending calls as a sorted list of C{(getTime(), label)}, and the
state of every call made so far (C{time}, C{delayed_time}, flags).

Ties between calls due at the same instant are ordered differently by the C
clock when one of them was rescheduled (see test_differences, (c)), so reset
and delay amounts carry a unique fraction C{k/1024}, and programs in which a
rescheduled call still ties with another pending call are rejected.  Ties
among plain C{callLater} calls are frequent and must match.

The number of examples comes from the hypothesis profile: C{ci} by default,
C{fuzz} with C{TWISTED_FAST_HYPOTHESIS_PROFILE=fuzz} (see conftest).
"""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given, note
from hypothesis import strategies as st

from twisted.internet import error
from twisted_fast import _compat

# --- programs ------------------------------------------------------------------------

#: Delays for callLater: plenty of small integers (so plenty of ties), some
#: dyadic and some inexact floats.
DELAYS = st.one_of(
    st.integers(0, 3),
    st.sampled_from([0.5, 0.25, 1.5, 0.1, 0.3, 2.7]),
)
#: Amounts for advance and pump.
ADVANCES = st.one_of(st.integers(0, 3), st.sampled_from([0.5, 0.25, 0.1, 0.2]))
#: Base amounts for reset and delay (a unique fraction is added at run time).
RESETS = st.sampled_from([-1, 0, 0.5, 1, 2, 3])
DELAY_BY = st.sampled_from([-3, -2, -1, 0, 0.5, 1, 2])
TARGETS = st.integers(0, 40)


def ops(depth: int, inCallback: bool) -> st.SearchStrategy[tuple[Any, ...]]:
    """
    A strategy for one operation, at a nesting depth of scripts.
    """
    choices: list[st.SearchStrategy[tuple[Any, ...]]] = [
        st.tuples(st.just("cancel"), TARGETS),
        st.tuples(st.just("reset"), TARGETS, RESETS),
        st.tuples(st.just("delay"), TARGETS, DELAY_BY),
        st.tuples(st.just("advance"), ADVANCES),
    ]
    if depth < 3:
        script = st.lists(ops(depth + 1, True), max_size=4) if depth < 2 else st.just([])
        later = st.tuples(st.just("later"), DELAYS, script)
        # Weight scheduling up: it is what creates the interesting states;
        # small integer delays make ties.
        choices += [later, later, st.tuples(st.just("later"), st.integers(0, 2), script)]
    if inCallback:
        choices.append(st.tuples(st.just("raise")))
        choices.append(st.tuples(st.just("advanceCatching"), ADVANCES))
        choices.append(st.tuples(st.just("self"), st.sampled_from(["cancel", "reset", "delay"])))
    else:
        choices.append(st.tuples(st.just("pump"), st.lists(ADVANCES, max_size=4)))
    return st.one_of(*choices)


PROGRAMS = st.lists(ops(0, False), min_size=1, max_size=25)

#: Appended to every program, so that most of what it scheduled runs.
DRAIN: list[tuple[Any, ...]] = [("advance", 4), ("advance", 4), ("advance", 4)]


# --- running a program -----------------------------------------------------------------


class Boom(Exception):
    """
    Raised by the C{raise} operation.
    """


class Runner:
    """
    Runs a program on one clock class and records what happens.
    """

    def __init__(self, clockClass: Any) -> None:
        self.clock = clockClass()
        self.calls: list[Any] = []
        self.labels: dict[int, int] = {}
        self.touched: set[int] = set()
        self.trace: list[Any] = []
        self.fractions = 0
        self.tie = False

    def fraction(self) -> float:
        """
        A fresh fraction for a reset or delay amount, unique in the program.
        """
        self.fractions += 1
        return self.fractions / 1024

    def target(self, index: int) -> Any:
        """
        The call a target index refers to, or C{None} if none exists yet.
        """
        if not self.calls:
            return None
        return self.calls[index % len(self.calls)]

    def reschedule(self, dc: Any, kind: str, amount: float) -> None:
        """
        Reset or delay C{dc}, recording the outcome.
        """
        label = self.labels[id(dc)]
        self.touched.add(label)
        try:
            getattr(dc, kind)(amount)
        except (error.AlreadyCalled, error.AlreadyCancelled) as e:
            self.trace.append((kind, label, type(e).__name__))
        else:
            self.trace.append((kind, label, dc.getTime()))

    def run(self, op: tuple[Any, ...], current: int | None) -> None:
        """
        Run one operation; C{current} is the label of the running call, if
        any.
        """
        kind = op[0]
        if kind == "later":
            _, delay, script = op
            label = len(self.calls)
            dc = self.clock.callLater(delay, self.fire, label, script)
            self.calls.append(dc)
            self.labels[id(dc)] = label
            self.trace.append(("later", label, dc.getTime()))
        elif kind == "cancel":
            dc = self.target(op[1])
            if dc is not None:
                label = self.labels[id(dc)]
                try:
                    dc.cancel()
                except (error.AlreadyCalled, error.AlreadyCancelled) as e:
                    self.trace.append(("cancel", label, type(e).__name__))
                else:
                    self.trace.append(("cancel", label, "ok"))
        elif kind in ("reset", "delay"):
            dc = self.target(op[1])
            if dc is not None:
                self.reschedule(dc, kind, op[2] + self.fraction())
        elif kind == "self":
            assert current is not None
            dc = self.calls[current]
            if op[1] == "cancel":
                try:
                    dc.cancel()
                except error.AlreadyCalled:
                    self.trace.append(("self cancel", current, "AlreadyCalled"))
            else:
                self.reschedule(dc, op[1], 1 + self.fraction())
        elif kind == "advance":
            self.trace.append(("advance", op[1]))
            self.clock.advance(op[1])
        elif kind == "advanceCatching":
            self.trace.append(("advanceCatching", op[1]))
            try:
                self.clock.advance(op[1])
            except Boom as e:
                self.trace.append(("caught", e.args))
        elif kind == "pump":
            self.trace.append(("pump", tuple(op[1])))
            self.clock.pump(op[1])
        elif kind == "raise":
            self.trace.append(("raise", current))
            raise Boom(current)
        else:  # pragma: no cover
            raise AssertionError(op)
        self.checkTies()

    def fire(self, label: int, script: list[tuple[Any, ...]]) -> None:
        """
        The function every scheduled call runs: record, then run its script.
        """
        self.trace.append(("fire", label, self.clock.seconds()))
        for op in script:
            self.run(op, label)
        self.trace.append(("end", label))

    def pending(self) -> list[tuple[float, int]]:
        """
        The pending calls, as a sorted list of C{(getTime(), label)}.
        """
        return sorted((dc.getTime(), self.labels[id(dc)]) for dc in self.clock.getDelayedCalls())

    def checkTies(self) -> None:
        """
        Note whether a rescheduled call ties with another pending call.
        """
        pending = self.pending()
        for (t1, l1), (t2, l2) in zip(pending, pending[1:]):
            if t1 == t2 and (l1 in self.touched or l2 in self.touched):
                self.tie = True

    def state(self) -> list[Any]:
        """
        Everything observable about the clock and the calls.
        """
        return [
            self.clock.seconds(),
            self.pending(),
            [
                (
                    dc.time,
                    dc.delayed_time,
                    dc.getTime(),
                    dc.called,
                    dc.cancelled,
                    dc.active(),
                    hasattr(dc, "func"),
                )
                for dc in self.calls
            ],
        ]

    def step(self, op: tuple[Any, ...]) -> list[Any]:
        """
        Run one top-level step and return the record to compare.
        """
        start = len(self.trace)
        try:
            self.run(op, None)
        except Boom as e:
            outcome: Any = ("raised", e.args)
        else:
            outcome = "ok"
        return [self.trace[start:], outcome, self.state()]

    def runProgram(self, program: list[tuple[Any, ...]]) -> list[Any]:
        """
        Run every step; return the records.
        """
        return [self.step(op) for op in program]


# --- the property ---------------------------------------------------------------------


@given(program=PROGRAMS)
def test_sameAsTwisted(impl: Any, program: list[tuple[Any, ...]]) -> None:
    """
    The implementation does what Twisted's clock does, step for step: same
    firings at the same times, same outcomes of cancel/reset/delay, same
    exceptions, same time, same pending calls, same call states.
    """
    program = program + DRAIN
    reference = Runner(_compat.TwistedClock)
    expected = reference.runProgram(program)
    assume(not reference.tie)
    candidate = Runner(impl.Clock)
    actual = candidate.runProgram(program)
    note(f"program: {program!r}")
    for index, (want, got) in enumerate(zip(expected, actual)):
        assert got == want, f"step {index}: {program[index]!r}"
    assert len(actual) == len(expected)


class CheckedRunner(Runner):
    """
    A runner whose clock's heap must pass C{_speedups._check_heap} after
    every step.
    """

    def step(self, op: tuple[Any, ...]) -> list[Any]:
        """
        Run the step, then check the heap.
        """
        record = super().step(op)
        assert _compat.speedups._check_heap(self.clock) == -1, op
        return record


@given(program=PROGRAMS, splitAt=st.integers(1, 6))
def test_sameAsTwistedInTiers(
    cimpl: Any, program: list[tuple[Any, ...]], splitAt: int
) -> None:
    """
    As L{test_sameAsTwisted}, on a C clock whose heap splits into its near
    heap, wheel and far heap (heap.h) at a handful of timers instead of
    thousands: same firings, outcomes and states, and every invariant of
    the tiers holds after each step.
    """
    program = program + DRAIN
    reference = Runner(_compat.TwistedClock)
    expected = reference.runProgram(program)
    assume(not reference.tie)

    def tieredClock() -> Any:
        clock = cimpl.Clock()
        _compat.speedups._split_heap_at(clock, splitAt)
        return clock

    actual = CheckedRunner(tieredClock).runProgram(program)
    note(f"program: {program!r}")
    for index, (want, got) in enumerate(zip(expected, actual)):
        assert got == want, f"step {index}: {program[index]!r}"
    assert len(actual) == len(expected)


@given(program=PROGRAMS)
def test_deterministic(impl: Any, program: list[tuple[Any, ...]]) -> None:
    """
    Running a program twice on the same implementation gives the same
    records (the property above is only meaningful if this holds).
    """
    program = program + DRAIN
    first = Runner(impl.Clock).runProgram(program)
    second = Runner(impl.Clock).runProgram(program)
    assert first == second


def test_programsTie() -> None:
    """
    The generator does produce ties among plain calls, and the runner does
    detect ties involving a rescheduled call, so the filtering is real.
    """
    plain = Runner(_compat.TwistedClock)
    plain.runProgram([("later", 1, []), ("later", 1, []), ("advance", 1)])
    fired = [entry for entry in plain.trace if entry[0] == "fire"]
    assert fired == [("fire", 0, 1.0), ("fire", 1, 1.0)]
    assert not plain.tie
    tied = Runner(_compat.TwistedClock)
    tied.runProgram([("later", 1, []), ("later", 1 + 1 / 1024 + 2, []), ("delay", 0, 2)])
    assert tied.tie
