"""
Instructions per operation of benchmark workloads, counted by cachegrind:
deterministic, where timings on a shared virtual machine are not.  For each
build directory (a copy of the twisted_fast package with its own
_speedups*.so, as for .ci/stats_cost.py), each workload runs twice under
``valgrind --tool=cachegrind`` with N1 and N2 operations; the difference of
the instruction counts divided by N2 - N1 is the cost of one operation, with
the imports and the setup cancelled out.

    python .ci/stats_instructions.py --build orig=/tmp/tf-orig --build stats=/tmp/tf-stats \\
        [--workload reactor-schedule-fire:100000:100000:300000] [--watch 0.5]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import sys
    name, param, ops, watch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    import twisted_fast
    if watch >= 0:
        twisted_fast.watchSlowCalls(watch)
    from twisted_fast.bench import _registry
    from twisted_fast.bench import reactor  # registers the workloads
    workload = {w.name: w for w in _registry.allWorkloads()}[name]
    run = workload.setup(_registry.IMPLEMENTATIONS["fast"], param)
    run(ops)
    """
)


def instructions(path: str, workload: str, param: int, ops: int, watch: float) -> int:
    env = dict(os.environ, PYTHONPATH=path, PYTHONHASHSEED="0")
    result = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no",
         "--cachegrind-out-file=/dev/null", sys.executable, "-c", CHILD,
         workload, str(param), str(ops), str(watch)],
        capture_output=True, text=True, env=env, cwd="/", check=False,
    )
    match = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if result.returncode != 0 or match is None:
        raise SystemExit(f"{path} {workload}: {result.stderr[-2000:]}")
    return int(match.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", action="append", default=[], metavar="NAME=DIR")
    parser.add_argument("--variant", action="append", default=[],
                        metavar="NAME=BUILD:watch=SECONDS")
    parser.add_argument("--workload", action="append", default=[],
                        metavar="NAME:PARAM:N1:N2")
    args = parser.parse_args()
    builds = dict(item.split("=", 1) for item in args.build)
    variants = [(name, path, -1.0) for name, path in builds.items()]
    for item in args.variant:
        name, rest = item.split("=", 1)
        build, setting = rest.split(":", 1)
        variants.append((name, builds[build], float(setting.split("=", 1)[1])))
    workloads = args.workload or [
        "reactor-schedule-cancel-steady:10000:100000:300000",
        "reactor-schedule-fire:100000:100000:300000",
    ]
    for spec in workloads:
        name, param, n1, n2 = spec.split(":")
        print(f"{name}:{param}", flush=True)
        base = None
        for variant, path, watch in variants:
            a = instructions(path, name, int(param), int(n1), watch)
            b = instructions(path, name, int(param), int(n2), watch)
            per = (b - a) / (int(n2) - int(n1))
            base = base or per
            print(f"  {variant:>10}: {per:8.1f} instructions/op  ratio {per / base:.4f}",
                  flush=True)


if __name__ == "__main__":
    main()
