"""
The timer statistics of L{twisted_fast.health} as Prometheus metrics.

    from twisted_fast import prometheus
    prometheus.register()          # the global reactor, as reactor="global"

exposes, at every scrape, for each watched owner (label C{reactor}):

  - C{twisted_fast_timer_lateness_seconds}: histogram of how late the timed
    calls ran (when they ran minus when they were due);
  - C{twisted_fast_timer_calls_total}: counter of timed calls, label
    C{event}: C{scheduled}, C{fired}, C{cancelled}, C{reset};
  - C{twisted_fast_slow_calls_total}: counter of the timed calls, ticks and
    work units that L{twisted_fast.watchSlowCalls} reported.

Needs C{prometheus_client} (C{pip install 'twisted-fast[prometheus]'}).  The
values are read from the C counters at scrape time: nothing is recorded
twice.  L{twisted_fast.resetTimerStats} sets them back to zero, which
Prometheus takes as a counter reset (as after a restart).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import REGISTRY

from twisted_fast.health import StatsUnavailable, TimerStats, _speedups, timerStats

__all__ = ["TimerCollector", "register"]

#: The events of C{twisted_fast_timer_calls_total}, as L{TimerStats} names them.
EVENTS = ("scheduled", "fired", "cancelled", "reset")


class TimerCollector:
    """
    A Prometheus collector of the timer statistics of some fast reactors or
    C clocks.

    @ivar owners: by label value (C{reactor="..."}), the owner to read: a
        fast reactor, a C C{Clock}, or C{None} for the global reactor (read
        at each scrape: installed later is fine).  An owner with no
        statistics at scrape time (no reactor installed yet, not a fast
        one) is left out of that scrape.
    @ivar allBuckets: expose every bucket of the histogram (four per power
        of two, 110 series per owner) instead of one per power of two (29).
    """

    def __init__(self, owners: Mapping[str, Any], allBuckets: bool = False) -> None:
        self.owners = dict(owners)
        self.allBuckets = allBuckets

    def collect(self) -> Iterator[Any]:
        """
        Read every owner's statistics now.

        @return: the three metric families.
        """
        lateness = HistogramMetricFamily(
            "twisted_fast_timer_lateness_seconds",
            "How late timed calls ran: when they ran minus when they were due.",
            labels=["reactor"],
        )
        calls = CounterMetricFamily(
            "twisted_fast_timer_calls",
            "Timed calls scheduled, fired, cancelled and reset.",
            labels=["reactor", "event"],
        )
        slow = CounterMetricFamily(
            "twisted_fast_slow_calls",
            "Timed calls, LoopingCall ticks and Cooperator work units that ran"
            " longer than the watchSlowCalls() threshold.",
            labels=["reactor"],
        )
        for label, owner in self.owners.items():
            try:
                stats = timerStats(owner)
            except StatsUnavailable:
                continue
            lateness.add_metric(
                [label], self._buckets(stats), sum_value=stats.totalLateness
            )
            for event in EVENTS:
                calls.add_metric([label, event], getattr(stats, event))
            slow.add_metric([label], stats.slowCalls)
        yield lateness
        yield calls
        yield slow

    def _buckets(self, stats: TimerStats) -> list[tuple[str, float]]:
        """
        The cumulative buckets of C{stats}' histogram, as Prometheus wants
        them: C{(le, count)}, the last C{+Inf}.
        """
        buckets = []
        seen = 0
        for index, (bound, count) in enumerate(stats.buckets):
            seen += count
            # Bucket 0 ends at 2**-20; then four per power of two: the
            # fourth of each ends at the next power.
            if bound == float("inf"):
                buckets.append(("+Inf", float(seen)))
            elif self.allBuckets or index % 4 == 0:
                buckets.append((repr(bound), float(seen)))
        return buckets


def register(
    registry: Any = None,
    owners: Mapping[str, Any] | None = None,
    allBuckets: bool = False,
) -> TimerCollector:
    """
    Expose the timer statistics to Prometheus.

    @param registry: a C{prometheus_client} C{CollectorRegistry}; C{None}:
        the default C{REGISTRY}.
    @param owners: by the value of the C{reactor} label, the owners to
        expose (fast reactors, C clocks, or C{None} for the global
        reactor); C{None}: C{{"global": None}}, the global reactor.
    @param allBuckets: see L{TimerCollector.allBuckets}.
    @return: the collector, to C{registry.unregister()} it.
    @raise StatsUnavailable: in fallback mode (there will never be
        statistics to expose).
    """
    _speedups()
    collector = TimerCollector({"global": None} if owners is None else owners, allBuckets)
    (REGISTRY if registry is None else registry).register(collector)
    return collector
