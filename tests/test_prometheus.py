"""
Tests for L{twisted_fast.prometheus}: the timer statistics scraped through
C{prometheus_client}'s own text exposition and parser.
"""

from __future__ import annotations

import math
import sys
from typing import Any, Callable

import pytest

import twisted_fast
from reactorhelpers import (  # the fixtures are used by name
    FakeTime,
    buildReactor,  # noqa: F401
    cReactorImpl,  # noqa: F401
)

prometheus_client = pytest.importorskip(
    "prometheus_client", reason="prometheus_client is not installed (requirements/test.txt pins it)"
)
from prometheus_client import CollectorRegistry, generate_latest  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402


def scrape(registry: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """
    Scrape C{registry} as Prometheus would (text exposition), and parse it.

    @return: every sample's value, by (name, sorted labels).
    """
    text = generate_latest(registry).decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def nothing() -> None:
    """
    A timed call that does nothing.
    """


@pytest.fixture
def fastReactor(cReactorImpl: Any, buildReactor: Callable[[type], Any]) -> Any:
    """
    A fresh fast epoll reactor (not installed), on a fake clock at 100.
    """
    reactor = buildReactor(cReactorImpl.classes["epoll"])
    reactor.seconds = FakeTime(100.0)
    return reactor


def test_scrape(fastReactor: Any) -> None:
    """
    The three metrics, with the reactor label: lateness as a histogram (one
    bucket per power of two, cumulative, its count and sum), the calls by
    event, the slow calls.
    """
    from twisted_fast import prometheus

    fastReactor.callLater(1.0, nothing)
    fastReactor.callLater(2.0, nothing)
    fastReactor.callLater(9.0, nothing).cancel()
    fastReactor.callLater(9.0, nothing).reset(20.0)
    fastReactor.seconds.advance(2.25)
    fastReactor.runUntilCurrent()
    registry = CollectorRegistry()
    prometheus.register(registry, owners={"main": fastReactor})
    samples = scrape(registry)
    main = (("reactor", "main"),)
    for event, value in (("scheduled", 4), ("fired", 2), ("cancelled", 1), ("reset", 1)):
        key = ("twisted_fast_timer_calls_total", (("event", event), ("reactor", "main")))
        assert samples[key] == value
    assert samples[("twisted_fast_slow_calls_total", main)] == 0
    assert samples[("twisted_fast_timer_lateness_seconds_count", main)] == 2
    assert samples[("twisted_fast_timer_lateness_seconds_sum", main)] == 1.25 + 0.25
    buckets = {
        float(dict(labels)["le"]): value
        for (name, labels), value in samples.items()
        if name == "twisted_fast_timer_lateness_seconds_bucket"
    }
    assert len(buckets) == 29
    assert min(buckets) == 2.0**-20
    assert max(b for b in buckets if b != math.inf) == 128.0
    assert buckets[0.125] == 0
    assert buckets[0.25] == 1  # le: at most 0.25
    assert buckets[0.5] == 1
    assert buckets[1.0] == 1
    assert buckets[2.0] == 2
    assert buckets[math.inf] == 2


def test_allBuckets(fastReactor: Any) -> None:
    """
    With C{allBuckets}, every bound of the histogram is exposed.
    """
    from twisted_fast import prometheus

    registry = CollectorRegistry()
    prometheus.register(registry, owners={"main": fastReactor}, allBuckets=True)
    buckets = [
        name for (name, _), _ in scrape(registry).items()
        if name == "twisted_fast_timer_lateness_seconds_bucket"
    ]
    assert len(buckets) == 110


def test_globalReactor(fastReactor: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """
    By default the global reactor is exposed as C{reactor="global"}, read at
    each scrape: nothing while none is installed, its numbers once it is.
    """
    from twisted_fast import prometheus

    monkeypatch.delitem(sys.modules, "twisted.internet.reactor", raising=False)
    registry = CollectorRegistry()
    collector = prometheus.register(registry)
    assert not any("reactor" in dict(labels) for _, labels in scrape(registry))
    monkeypatch.setitem(sys.modules, "twisted.internet.reactor", fastReactor)
    fastReactor.callLater(1.0, nothing)
    samples = scrape(registry)
    key = ("twisted_fast_timer_calls_total", (("event", "scheduled"), ("reactor", "global")))
    assert samples[key] == 1
    registry.unregister(collector)
    assert scrape(registry) == {}


def test_slowCalls(fastReactor: Any) -> None:
    """
    The slow calls that the watch reported are counted.
    """
    from twisted_fast import _compat, prometheus

    assert _compat.speedups is not None
    box = [1000.0]
    _compat.speedups._set_monotonic(lambda: box[0])
    try:
        twisted_fast.watchSlowCalls(0.5)
        fastReactor.callLater(0, box.__setitem__, 0, 1001.0)
        fastReactor.runUntilCurrent()
    finally:
        twisted_fast.unwatchSlowCalls()
        _compat.speedups._set_monotonic(None)
    registry = CollectorRegistry()
    prometheus.register(registry, owners={"main": fastReactor})
    assert scrape(registry)[("twisted_fast_slow_calls_total", (("reactor", "main"),))] == 1


def test_fallbackMode(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    In fallback mode, L{register} raises L{twisted_fast.StatsUnavailable}:
    there will never be anything to expose.
    """
    from twisted_fast import _compat, prometheus

    monkeypatch.setattr(_compat, "speedups", None)
    with pytest.raises(twisted_fast.StatsUnavailable, match="fallback mode"):
        prometheus.register(CollectorRegistry())
