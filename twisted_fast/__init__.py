"""
twisted-fast: Twisted's timer heap, DelayedCall, task.Clock, LoopingCall and
Cooperator in C, as a drop-in replacement.

Call install() early, before anything imports the reactor: it puts the fast
classes in place of Twisted's own (in twisted.internet.task and
twisted.internet.base) and installs the fast reactor.  uninstall() puts
Twisted's classes back.  The classes can also be used directly from
twisted_fast.task, which has every name of twisted.internet.task.

Without its C extension (no compiler at install time, an interpreter other
than CPython, TWISTED_FAST_NO_EXTENSIONS=1) the package still works, on
Twisted's own classes: that is the fallback mode.  ACCELERATED is True when
the C extension is in use; FALLBACK_REASON says why it is not (None when it
is); install() returns False in fallback mode and warns, with the reason,
unless TWISTED_FAST_NO_EXTENSIONS asked for it.  For example::

    import twisted_fast

    if not twisted_fast.install():
        print("twisted-fast fallback:", twisted_fast.FALLBACK_REASON)

    from twisted.internet import reactor, task   # the fast ones now

From a shell, python -m twisted_fast reports the mode and why, what
install() would replace and which reactor it would install.
"""

from __future__ import annotations

from twisted_fast._compat import ACCELERATED, FALLBACK_REASON
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
    "FALLBACK_REASON",
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
