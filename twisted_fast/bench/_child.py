"""
Entry point for measurements that need a fresh interpreter.

C{python -m twisted_fast.bench._child MODULE:FUNCTION IMPLEMENTATION PARAM}
calls C{FUNCTION(implementation, PARAM)} and prints its result as JSON on the
last line of stdout.  See L{twisted_fast.bench._registry.inSubprocess}.
"""

from __future__ import annotations

import importlib
import json
import sys

from twisted_fast.bench._registry import IMPLEMENTATIONS


def main(argv: list[str]) -> None:
    """
    @param argv: C{[MODULE:FUNCTION, IMPLEMENTATION, PARAM]}.
    """
    reference, implementation, param = argv
    moduleName, functionName = reference.split(":")
    function = getattr(importlib.import_module(moduleName), functionName)
    print(json.dumps(function(IMPLEMENTATIONS[implementation], int(param))))


if __name__ == "__main__":
    main(sys.argv[1:])
