#!/usr/bin/env python3
"""
Differential fuzzing at volume: the property tests that compare the C
classes with Twisted's, with many examples each.

The properties (each runs random programs on Twisted's class and on the C
one and compares everything observable, step by step):

  - C{Clock} and C{DelayedCall}: C{tests/test_differential.py};
  - C{LoopingCall}: C{tests/test_loopingcall.py}, C{TestDifferential};
  - C{Cooperator}: C{tests/test_cooperator.py}, C{TestDifferential};
  - the fast reactor: C{tests/test_reactor.py}, C{test_randomPrograms};
  - both again with their heaps split into tiers at a handful of calls
    (C{test_sameAsTwistedInTiers}, C{test_randomProgramsInTiers}).

They run under the C{fuzz} hypothesis profile (C{tests/conftest.py}: 20,000
examples each unless C{--examples} says otherwise), and this script prints,
for each, the examples that ran (passing, failing, rejected by C{assume})
and whether it found a mismatch (hypothesis stops at the first one and
shrinks it: the failing test's output shows the program).  The test suite
itself runs the same properties with the small C{ci} profile.

Usage::

    python .ci/fuzz.py                      # make fuzz
    python .ci/fuzz.py --examples 2000      # shorter
    python .ci/fuzz.py --only reactor

Exit status 1 if a property found a mismatch (or failed to run).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROPERTIES = {
    "clock": "tests/test_differential.py::test_sameAsTwisted[c]",
    "loopingcall": "tests/test_loopingcall.py::TestDifferential::test_sameAsTwisted[c]",
    "cooperator": "tests/test_cooperator.py::TestDifferential::test_sameAsTwisted[c]",
    "reactor": "tests/test_reactor.py::test_randomPrograms[c]",
    "clock-tiers": "tests/test_differential.py::test_sameAsTwistedInTiers[c]",
    "reactor-tiers": "tests/test_reactor.py::test_randomProgramsInTiers[c]",
}

#: hypothesis's statistics line, one per phase: "- 200 passing, 0 failing,
#: and 13 invalid test cases" (older releases: "200 passing examples, 0
#: failing examples, 13 invalid examples").
COUNTS = re.compile(
    r"(\d+) passing(?: examples?)?, (\d+) failing(?: examples?)?,(?: and)?"
    r" (\d+) invalid"
)


def runProperty(name: str, nodeid: str, examples: int | None) -> dict[str, object]:
    """
    Run one property under the fuzz profile; parse hypothesis's statistics.
    """
    env = dict(os.environ)
    env["TWISTED_FAST_HYPOTHESIS_PROFILE"] = "fuzz"
    if examples is not None:
        env["TWISTED_FAST_HYPOTHESIS_EXAMPLES"] = str(examples)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    started = time.monotonic()
    process = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "--hypothesis-show-statistics", nodeid,
        ],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    seconds = time.monotonic() - started
    passing = failing = invalid = 0
    for match in COUNTS.finditer(process.stdout):
        passing += int(match.group(1))
        failing += int(match.group(2))
        invalid += int(match.group(3))
    return {
        "name": name,
        "nodeid": nodeid,
        "passing": passing,
        "failing": failing,
        "invalid": invalid,
        "failed": process.returncode != 0,
        "seconds": round(seconds),
        "output": process.stdout + process.stderr,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int,
                        help="examples per property (default: the fuzz profile's 20,000)")
    parser.add_argument("--only", action="append", choices=sorted(PROPERTIES),
                        help="run only this property (repeatable)")
    options = parser.parse_args(argv)
    names = options.only or list(PROPERTIES)
    results = []
    for name in names:
        print(f"fuzzing {name} ({PROPERTIES[name]}) ...", flush=True)
        result = runProperty(name, PROPERTIES[name], options.examples)
        results.append(result)
        if result["failed"]:
            print(result["output"][-6000:])
    print("\nproperty     examples run  mismatches  rejected (assume)  time")
    for r in results:
        mismatch = "YES" if r["failed"] else "0"
        print(
            f"{r['name']:<12} {r['passing']:>12,}  {mismatch:>10}  {r['invalid']:>17,}"
            f"  {r['seconds']}s"
        )
    total = sum(int(r["passing"]) for r in results)  # type: ignore[call-overload]
    bad = [r["name"] for r in results if r["failed"]]
    print(f"\n{total:,} examples in all; mismatches: {', '.join(bad) if bad else 'none'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
