"""
The C timer heap's tiers (src/heap.h): past a few thousand pending calls a
queue splits into a near heap, a wheel of slots and a far heap.  Nothing
about it is visible from Python except speed, so these tests drive large and
awkward queues through a C clock and compare what fires, and in what order,
with a model of Twisted's rule (by deadline, then by when the call was
scheduled or last moved), while C{_speedups._heap_shape} shows that the tier
under test is in use and C{_speedups._check_heap} that every invariant
holds.

The random programs of test_differential and test_reactor also run on tiered
heaps (C{test_sameAsTwistedInTiers}, C{test_randomProgramsInTiers}).
"""

from __future__ import annotations

import gc
import math
import random
import weakref
from typing import Any

import pytest

from conftest import Implementation
from reactorhelpers import unbuildReactor
from twisted_fast import _compat

#: A queue splits once its near heap holds this many calls (heap.h).
SPLIT_MIN = 8192


class Model:
    """
    What a clock must do, kept naively: every pending call's deadline and its
    place among calls due at the same instant.
    """

    def __init__(self, clock: Any, checkEach: bool = True) -> None:
        self.clock = clock
        self.checkEach = checkEach
        self.order = 0
        self.pending: dict[int, tuple[float, int, Any]] = {}
        self.fired: list[int] = []

    def later(self, delay: float) -> int:
        """
        Schedule a call that records its label when it fires.
        """
        self.order += 1
        label = self.order
        call = self.clock.callLater(delay, self.fire, label)
        self.pending[label] = (call.getTime(), self.order, call)
        return label

    def fire(self, label: int) -> None:
        """
        Record a firing; with C{checkEach} (O(n) per call), it must be the
        first pending call in order.
        """
        if self.checkEach:
            first = min(self.pending, key=lambda k: self.pending[k][:2])
            assert label == first, (label, first)
        del self.pending[label]
        self.fired.append(label)

    def cancel(self, label: int) -> None:
        """
        Cancel a pending call.
        """
        self.pending.pop(label)[2].cancel()

    def reset(self, label: int, delay: float) -> None:
        """
        Reset a pending call.
        """
        self.pending[label][2].reset(delay)
        self.moved(label)

    def moved(self, label: int) -> None:
        """
        A pending call's time changed (reset or delay): it goes after the
        calls already due at its new time.
        """
        call = self.pending[label][2]
        self.order += 1
        self.pending[label] = (call.getTime(), self.order, call)

    def expectedLabels(self) -> list[int]:
        """
        The labels of the pending calls in the order they will fire.
        """
        return sorted(self.pending, key=lambda k: self.pending[k][:2])

    def expectedCalls(self) -> list[Any]:
        """
        The pending calls in the order they will fire.
        """
        return [self.pending[k][2] for k in self.expectedLabels()]


def shape(clock: Any) -> tuple[int, int, int]:
    """
    (near heap, wheel slots, far heap) of the queue of C{clock} (a C clock or
    a reactor's timers); far is -1 before it splits.
    """
    return _compat.speedups._heap_shape(clock)


def assertSound(clock: Any) -> None:
    """
    Every invariant of the queue holds.
    """
    assert _compat.speedups._check_heap(clock) == -1


def test_largeQueue(cimpl: Implementation) -> None:
    """
    Twenty thousand calls at random deadlines, many of them tied, with
    cancels and resets (sooner and later) among them: the queue splits on
    its own, C{calls} reads in firing order, and everything fires in the
    model's order.
    """
    rng = random.Random(12143)
    clock = cimpl.Clock()
    model = Model(clock, checkEach=False)
    labels = [model.later(rng.randrange(2000) / 4) for _ in range(20_000)]
    near, slots, far = shape(clock)
    assert far >= 0 and slots > near, shape(clock)
    assertSound(clock)
    for label in labels[::3]:
        model.cancel(label)
    for label in labels[1::5]:
        if label in model.pending:
            model.reset(label, rng.choice([0.25, 3.5, 99.5, 1e4]))
    assertSound(clock)
    assert clock.calls == model.expectedCalls()
    expected = model.expectedLabels()
    while model.pending:
        clock.advance(rng.random() * 10)
        if rng.random() < 0.05:
            assertSound(clock)
    assert model.fired == expected
    assertSound(clock)


def test_scheduledWhileRunning(cimpl: Implementation) -> None:
    """
    Calls scheduled, reset and cancelled from inside firing calls, at
    deadlines before, inside and past the wheel, fire in the model's order.
    """
    rng = random.Random(9581)
    clock = cimpl.Clock()
    _compat.speedups._split_heap_at(clock, 16)
    model = Model(clock)
    for _ in range(400):
        model.later(rng.random() * 100)
    original = model.fire

    def fireAndMeddle(label: int) -> None:
        original(label)
        if len(model.fired) < 1500:
            model.later(rng.choice([0, rng.random(), rng.random() * 100, 1e6]))
        others = [k for k in model.pending if k != label]
        if others and rng.random() < 0.3:
            model.reset(rng.choice(others), rng.random() * 50)
        if others and rng.random() < 0.2:
            model.cancel(rng.choice(others))

    model.fire = fireAndMeddle  # type: ignore[method-assign]
    clock.advance(0)  # nothing due: every call still pending
    for _ in range(200):
        clock.advance(rng.random())
        assertSound(clock)
    clock.advance(2e6)
    assert not model.pending and not clock.calls
    assertSound(clock)


def test_farAndNeverDue(cimpl: Implementation) -> None:
    """
    Calls too far off for the wheel (1e300 seconds, infinity) wait in the
    far heap while nearer ones fire; once only they are left the wheel
    gives way to a plain heap, and they still fire (or wait forever) in
    order.
    """
    clock = cimpl.Clock()
    _compat.speedups._split_heap_at(clock, 4)
    model = Model(clock)
    for delay in [1e300, math.inf, 2e300, math.inf]:
        model.later(delay)
    for index in range(40):
        model.later(index / 2)
    near, slots, far = shape(clock)
    assert far >= 4 and slots > 0, shape(clock)
    clock.advance(30)
    assert len(model.fired) == 40
    assertSound(clock)
    clock.advance(1.5e300)
    assert len(model.fired) == 41
    assert shape(clock)[2] == -1, "only far calls left: no wheel"
    clock.advance(1e301)
    assert len(model.fired) == 42
    assert [call.getTime() for call in clock.calls] == [math.inf, math.inf]
    assertSound(clock)


def test_allDueTogether(cimpl: Implementation) -> None:
    """
    Ten thousand calls due at the same instant give a split no width to
    work with: the queue stays one heap, and they fire in scheduling order.
    """
    clock = cimpl.Clock()
    model = Model(clock, checkEach=False)
    for _ in range(SPLIT_MIN + 2000):
        model.later(5)
    assert shape(clock)[2] == -1
    expected = model.expectedLabels()
    clock.advance(5)
    assert model.fired == expected
    assert not model.pending


def test_resetBetweenTiers(cimpl: Implementation) -> None:
    """
    One call reset back and forth between the near heap, the wheel and the
    far heap keeps its place and fires once, at its last time.
    """
    clock = cimpl.Clock()
    _compat.speedups._split_heap_at(clock, 4)
    model = Model(clock)
    for index in range(100):
        model.later(10 + index)
    mover = model.later(50.5)
    clock.advance(10)  # pours the first slot in
    before = shape(clock)
    for delay in [0.25, 1e9, 30.75, 0.5, 5e8, 0.125]:
        model.reset(mover, delay)
        assertSound(clock)
    assert sum(before) == sum(shape(clock))
    clock.advance(0.125)
    assert model.fired[-1] == mover
    clock.advance(1e3)
    assert not model.pending


def test_pendingCallsCollected(cimpl: Implementation) -> None:
    """
    A clock dropped while calls that refer back to it wait in its wheel and
    far heap is collected with them (the owner's traverse walks every tier).
    """
    clock = cimpl.Clock()
    _compat.speedups._split_heap_at(clock, 2)
    for index in range(50):
        clock.callLater(index if index % 7 else 1e12, clock.advance, 1)
    assert shape(clock)[1] > 0
    calls = weakref.ref(clock.calls[-1])
    ref = weakref.ref(clock)
    del clock
    gc.collect()
    assert ref() is None and calls() is None


@pytest.mark.parametrize("splitAt", [1, 3])
def test_reactorBurst(splitAt: int, cimpl: Implementation) -> None:
    """
    A burst of calls made between two passes waits in the reactor's
    new-call heap, which never splits; the pass takes them into the pending
    heap, which does, and they fire in order.
    """
    from twisted_fast import reactor as fastReactor

    reactor = fastReactor.FastEPollReactor()
    try:
        _compat.speedups._split_heap_at(reactor._timers, splitAt)
        now = [1000.0]
        reactor.seconds = lambda: now[0]
        fired: list[float] = []
        rng = random.Random(splitAt)
        delays = [rng.randrange(400) / 8 for _ in range(300)]
        calls = [reactor.callLater(d, fired.append, d) for d in delays]
        for call in calls[::4]:
            call.cancel()
        assert shape(reactor._timers) == (0, 0, -1)  # all in the new heap
        reactor.timeout()
        assert shape(reactor._timers)[1] > 0
        assert _compat.speedups._check_heap(reactor._timers) == -1
        now[0] += 100
        reactor.runUntilCurrent()
        kept = [d for i, d in enumerate(delays) if i % 4]
        assert fired == sorted(kept)  # ties keep scheduling order: stable sort
        assert _compat.speedups._check_heap(reactor._timers) == -1
    finally:
        unbuildReactor(reactor)


def _randomDelay(rng: random.Random) -> float:
    """
    A delay from every range the tiers treat differently: never, too far
    for the wheel, small integers (ties), sub-microsecond, and spreads from
    one second to months.
    """
    r = rng.random()
    if r < 0.05:
        return math.inf
    if r < 0.1:
        return rng.choice([1e300, 1e200, 1e15])
    if r < 0.3:
        return rng.randrange(10)
    if r < 0.5:
        return rng.random() * 1e-6
    return rng.random() * rng.choice([1, 100, 1e4, 1e7])


@pytest.mark.parametrize("seed, splitAt", [(1, 1), (2, 5), (3, 50)])
def test_randomOperations(cimpl: Implementation, seed: int, splitAt: int) -> None:
    """
    Thousands of random callLater, cancel, reset, delay (back and forth,
    to infinity and back) and advance operations on a tiered clock: every
    call fires in the model's order, and every invariant holds after every
    operation.  (This found C{reset(inf)} of a call due at infinity putting
    a NaN deadline in the heap: test_differences.)
    """
    rng = random.Random(seed)
    clock = cimpl.Clock()
    _compat.speedups._split_heap_at(clock, splitAt)
    model = Model(clock)
    for _ in range(4000):
        r = rng.random()
        if r < 0.5 or not model.pending:
            model.later(_randomDelay(rng))
        elif r < 0.62:
            model.cancel(rng.choice(list(model.pending)))
        elif r < 0.75:
            model.reset(rng.choice(list(model.pending)), _randomDelay(rng))
        elif r < 0.8:
            label = rng.choice(list(model.pending))
            model.pending[label][2].delay(rng.choice([-1, 1, 1e6]))
            model.moved(label)
        else:
            clock.advance(rng.choice([0, rng.random(), rng.random() * 100, 1e5]))
        assertSound(clock)
    assert clock.calls == model.expectedCalls()
    assert model.fired
