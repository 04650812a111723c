"""
twisted-fast: Twisted's timer heap, C{task.Clock} and friends in C.

Use L{install} to put the fast classes in place of Twisted's own, or import
them from L{twisted_fast.task}.  L{ACCELERATED} tells whether the C extension
is in use (C{True}) or the package runs on Twisted's own classes (C{False}).
"""

from __future__ import annotations

from twisted_fast._compat import ACCELERATED
from twisted_fast._install import TwistedFastWarning, install, installed, uninstall
from twisted_fast.health import (
    StatsUnavailable,
    TimerStats,
    resetTimerStats,
    timerStats,
    unwatchSlowCalls,
    unwatchStalls,
    watchSlowCalls,
    watchStalls,
)

__version__ = "0.1.0"

__all__ = [
    "ACCELERATED",
    "StatsUnavailable",
    "TimerStats",
    "TwistedFastWarning",
    "install",
    "installed",
    "resetTimerStats",
    "timerStats",
    "uninstall",
    "unwatchSlowCalls",
    "unwatchStalls",
    "watchSlowCalls",
    "watchStalls",
    "__version__",
]
