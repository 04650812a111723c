"""
What a compile-time feature costs: two builds of the C extension measured
alternately, each round in fresh child processes, on the fast side of
benchmark workloads of C{python -m twisted_fast.bench}.

Usage (from the repository root, after building both trees, see
docs/internals.md "Timer health"):

    python .ci/stats_cost.py --build stats=/tmp/tf-stats --build nostats=/tmp/tf-nostats \\
        [--rounds 9] [--workload reactor-schedule-cancel-steady:10000] \\
        [--workload reactor-schedule-fire:100000] [--env watch:TWISTED_FAST_COST_WATCH=0.5]

Each --build names a directory that holds a copy of the C{twisted_fast}
package with its own C{_speedups*.so}; it goes first on each child's
C{PYTHONPATH}.  A C{--variant NAME=BUILD:SETTING} runs a build with a setting
applied in the child before measuring (C{watch=SECONDS}: the slow-call watch
on, with that threshold).  Each round runs every (variant, workload) once,
in an order that alternates between rounds; a child measures its workload
for C{--repeats} timed runs of about C{--round-time} seconds and reports the
median time per operation.  The report gives, per workload and variant, the
median over rounds, the spread (min-max, relative to the median), and the
ratio of each variant's median to the first's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import gc, json, statistics, sys
    name, param, repeats, roundTime, watch = sys.argv[1:6]
    param, repeats, roundTime, watch = int(param), int(repeats), float(roundTime), float(watch)
    import twisted_fast
    from twisted_fast import _compat
    assert _compat.ACCELERATED, "no C extension"
    if watch >= 0:
        twisted_fast.watchSlowCalls(watch)
    from twisted_fast.bench import _registry, _runner
    from twisted_fast.bench import reactor  # registers the workloads
    workload = {w.name: w for w in _registry.allWorkloads()}[name]
    run = workload.setup(_registry.IMPLEMENTATIONS["fast"], param)
    step = workload.opsStep or 1
    ops = _runner.calibrate(run, roundTime, step)
    values = [run(ops) / ops for _ in range(repeats)]
    close = getattr(run, "close", None)
    if close is not None:
        close()
    print(json.dumps({"median": statistics.median(values), "ops": ops,
                      "file": _compat.speedups.__file__,
                      "stats": getattr(_compat.speedups, "STATS_BUILD", None)}))
    """
)


def child(path: str, workload: str, param: int, repeats: int, roundTime: float,
          watch: float) -> dict[str, object]:
    env = dict(os.environ)
    env["PYTHONPATH"] = path
    env.pop("TWISTED_FAST_NO_EXTENSIONS", None)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, workload, str(param), str(repeats),
         str(roundTime), str(watch)],
        capture_output=True, text=True, env=env, cwd="/", check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{path} {workload}: {result.stderr}")
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", action="append", default=[], metavar="NAME=DIR")
    parser.add_argument("--variant", action="append", default=[],
                        metavar="NAME=BUILD:watch=SECONDS")
    parser.add_argument("--workload", action="append", default=[], metavar="NAME:PARAM")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--round-time", type=float, default=0.2)
    parser.add_argument("--json")
    args = parser.parse_args()
    builds = dict(item.split("=", 1) for item in args.build)
    variants: list[tuple[str, str, float]] = [(n, p, -1.0) for n, p in builds.items()]
    for item in args.variant:
        name, rest = item.split("=", 1)
        build, setting = rest.split(":", 1)
        key, value = setting.split("=", 1)
        assert key == "watch", setting
        variants.append((name, builds[build], float(value)))
    workloads = [
        (w.split(":")[0], int(w.split(":")[1]))
        for w in (args.workload or ["reactor-schedule-cancel-steady:10000",
                                    "reactor-schedule-fire:100000"])
    ]
    results: dict[str, dict[str, list[float]]] = {
        f"{w}:{p}": {name: [] for name, _, _ in variants} for w, p in workloads
    }
    for rnd in range(args.rounds):
        order = variants if rnd % 2 == 0 else variants[::-1]
        for w, p in workloads:
            for name, path, watch in order:
                out = child(path, w, p, args.repeats, args.round_time, watch)
                results[f"{w}:{p}"][name].append(float(out["median"]))  # type: ignore[arg-type]
        print(f"round {rnd + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    first = variants[0][0]
    for key, byName in results.items():
        print(key)
        base = statistics.median(byName[first])
        for name, values in byName.items():
            median = statistics.median(values)
            spread = (max(values) - min(values)) / 2 / median
            paired = [v / b for v, b in zip(values, byName[first])]
            print(f"  {name:>10}: median {median * 1e9:8.1f} ns/op  spread +-{spread:5.1%}"
                  f"  ratio {median / base:.4f}  paired ratio median"
                  f" {statistics.median(paired):.4f} [{min(paired):.3f}, {max(paired):.3f}]")
            print("             rounds " + " ".join(f"{v * 1e9:.1f}" for v in values))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
