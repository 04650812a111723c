"""
Side-by-side benchmarks: Twisted's own timer classes, reactor, LoopingCall
and Cooperator against twisted-fast's.

Run C{python -m twisted_fast.bench} (see L{twisted_fast.bench.__main__}).

To add a workload, write a module in this package that calls L{register}
with a L{Workload}, and list the module in L{WORKLOAD_MODULES}.
"""

from twisted_fast.bench._registry import (
    FAST,
    IMPLEMENTATIONS,
    TWISTED,
    WORKLOAD_MODULES,
    Implementation,
    Reference,
    Runner,
    Target,
    Workload,
    allWorkloads,
    inSubprocess,
    register,
)

__all__ = [
    "FAST",
    "IMPLEMENTATIONS",
    "TWISTED",
    "WORKLOAD_MODULES",
    "Implementation",
    "Reference",
    "Runner",
    "Target",
    "Workload",
    "allWorkloads",
    "inSubprocess",
    "register",
]
