"""
The benchmark's command line (C{python -m twisted_fast.bench}) as a user meets
it: what it says before and while it runs, the maintainers' targets only with
C{--targets}, missing optional dependencies named with the way to install
them, and the plot.

Most tests run L{twisted_fast.bench.__main__.main} on made-up workloads whose
runners return fixed numbers instead of timing anything, so that what is
checked is the report, never the speed of this machine.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from twisted_fast.bench import FAST, TWISTED, Reference, Target, Workload
from twisted_fast.bench import __main__ as cli
from twisted_fast.bench import _report
from twisted_fast.bench._registry import INSTALL_HINT, Implementation, Runner, allWorkloads
from twisted_fast.bench._runner import ParamResult, Series, WorkloadResult

ROOT = Path(__file__).resolve().parent.parent


def _fixedCost(perOp: dict[str, float]) -> Any:
    """
    @param perOp: seconds per operation, by implementation name.
    @return: a workload C{setup} whose runner reports C{ops} times that cost,
        without timing anything.
    """

    def setup(implementation: Implementation, param: int) -> Runner:
        return lambda ops: ops * perOp[implementation.name]

    return setup


def _floor(param: int) -> Runner:
    return lambda ops: ops * 1e-9


#: Twisted 10 us, fast 1 us per operation: x10, whatever the machine.
TENFOLD = _fixedCost({"twisted": 1e-5, "fast": 1e-6})

FAKES = [
    Workload(
        name="fake-scaling",
        title="Fake: schedule + cancel",
        description="made up: scales with pending timers",
        setup=TENFOLD,
        params=(0, 1000, 10_000),
        floor=_floor,
        floorName="append+pop",
        target=Target("speedup", 5.0, "fast >= 5x Twisted"),
        references=(
            Reference(
                "peer",
                "peer call_later+cancel",
                lambda param: (lambda ops: ops * 2e-6),
                lambda: f"peer is not installed ({INSTALL_HINT})",
            ),
        ),
    ),
    Workload(
        name="fake-single",
        title="Fake: one size",
        description="made up: one parameter",
        setup=TENFOLD,
        params=(20_000,),
        target=Target("speedup", 1000.0, "fast >= 1000x Twisted"),
    ),
]

#: Runs quickly on the made-up workloads: one round, short calibration.
QUICK = ["--rounds", "1", "--round-time", "0.01"]


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> list[Workload]:
    """
    Make the command line see L{FAKES} as every workload there is.
    """
    monkeypatch.setattr(cli, "allWorkloads", lambda: list(FAKES))
    return FAKES


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """
    @return: the exit status, stdout and stderr of C{main(argv)}.
    """
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_targetsOffByDefault(fakes: list[Workload], capsys: pytest.CaptureFixture[str]) -> None:
    """
    Without C{--targets} the table has the measurements, their spread and
    the ratios, and no target, PASS or MISS anywhere in the output.
    """
    status, out, err = _run(capsys, *QUICK)
    assert status == 0
    for word in ("PASS", "MISS", "target", ">= 5x", ">= 1000x"):
        assert word not in out
        assert word not in err
    assert re.search(r"fake-scaling .* 1,000 pending timers .*±\d+%.* x10\b", out)
    assert re.search(r"fake-single .* x10\b", out)
    header = next(line for line in out.splitlines() if line.startswith("workload"))
    assert header.split() == ["workload", TWISTED.label, FAST.label, "ratio"]


def test_targetsWithFlag(fakes: list[Workload], capsys: pytest.CaptureFixture[str]) -> None:
    """
    C{--targets} adds the target column, with PASS for a met target and MISS
    for a missed one, and says below the table what they are; a MISS is not
    an error.
    """
    status, out, err = _run(capsys, *QUICK, "--targets")
    assert status == 0
    assert "fast >= 5x Twisted: x10 PASS" in out
    assert "fast >= 1000x Twisted: x10 MISS" in out
    header = next(line for line in out.splitlines() if line.startswith("workload"))
    assert header.split()[-1] == "target"
    assert "target: the maintainers' design goals" in out


def test_jsonKeepsTargets(
    fakes: list[Workload], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """
    The JSON has every target and its verdict without C{--targets} too.
    """
    path = tmp_path / "bench.json"
    status, out, err = _run(capsys, *QUICK, "--json", str(path))
    assert status == 0
    data = json.loads(path.read_text())
    verdicts = {
        w["name"]: [(t["description"], t["verdict"]) for t in w["targets"]]
        for w in data["workloads"]
    }
    assert verdicts == {
        "fake-scaling": [("fast >= 5x Twisted", "PASS")],
        "fake-single": [("fast >= 1000x Twisted", "MISS")],
    }


def test_listShowsTargetsOnlyWithFlag(
    fakes: list[Workload], capsys: pytest.CaptureFixture[str]
) -> None:
    """
    C{--list} describes the workloads, and names their targets only with
    C{--targets}.
    """
    status, out, err = _run(capsys, "--list")
    assert status == 0
    assert "fake-scaling: Fake: schedule + cancel" in out
    assert "target" not in out
    status, out, err = _run(capsys, "--list", "--targets")
    assert "target: fast >= 5x Twisted" in out


def test_durationAndCounter(fakes: list[Workload], capsys: pytest.CaptureFixture[str]) -> None:
    """
    Before the first workload, stderr says how long a full run and a quick
    one take; then it counts the workloads as they start, "workload 1/2:
    NAME", in order.  The table, on stdout, has none of it.
    """
    status, out, err = _run(capsys, *QUICK)
    assert status == 0
    lines = err.splitlines()
    counters = [i for i, line in enumerate(lines) if re.search(r"workload \d+/\d+: ", line)]
    assert [lines[i].split("workload ")[1] for i in counters] == [
        "1/2: fake-scaling",
        "2/2: fake-single",
    ]
    before = "\n".join(lines[: counters[0]])
    assert f"about {cli.FULL_DURATION}" in before
    assert f"--quick: about {cli.QUICK_DURATION}" in before
    assert "workload 1/2" not in out


def test_durationWithOnly(fakes: list[Workload], capsys: pytest.CaptureFixture[str]) -> None:
    """
    With C{--only} the counter counts the selected workloads, and the
    announcement says how many of all there are.
    """
    status, out, err = _run(capsys, *QUICK, "--quick", "--only", "single")
    assert status == 0
    assert "1 of the 2 workloads (--only)" in err
    assert f"about {cli.QUICK_DURATION}" in err
    assert "workload 1/1: fake-single" in err


def test_missingReferenceNoted(
    fakes: list[Workload], capsys: pytest.CaptureFixture[str]
) -> None:
    """
    A third-party side that cannot run is named up front with how to
    install it; the workload runs without it and the table says so.
    """
    status, out, err = _run(capsys, *QUICK, "--only", "scaling")
    assert status == 0
    note = (
        "note: fake-scaling runs without its peer side: peer is not installed"
        f" ({INSTALL_HINT})"
    )
    assert note in err
    assert err.index(note) < err.index("workload 1/1")
    assert re.search(r"peer: peer call_later\+cancel +skipped +peer is not installed", out)


def test_uvloopMissing(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    Without uvloop, the reactor workload's uvloop side is unavailable with
    the reason and the extra to install; looking does not import uvloop.
    """
    (workload,) = [w for w in allWorkloads() if w.name == "reactor-schedule-cancel-steady"]
    (reference,) = workload.references
    monkeypatch.setitem(sys.modules, "uvloop", None)
    reason = reference.unavailable()
    assert reason is not None
    assert "uvloop" in reason and INSTALL_HINT in reason
    assert cli.missingNotes([workload]) == [
        f"note: reactor-schedule-cancel-steady runs without its uvloop side: {reason}"
    ]


def test_plotWithoutMatplotlib(
    fakes: list[Workload],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """
    C{--plot} without matplotlib fails at once, naming what is missing and
    how to install it, before any workload runs.
    """
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    status, out, err = _run(capsys, *QUICK, "--plot", str(tmp_path / "bench.png"))
    assert status == 2
    assert "--plot needs matplotlib" in err
    assert INSTALL_HINT in err
    assert "workload 1/" not in err
    assert out == ""
    assert not (tmp_path / "bench.png").exists()


def _subprocessEnv() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    return env


def test_commandLine() -> None:
    """
    C{python -m twisted_fast.bench}: the counter and the progress on stderr,
    the table on stdout, no verdicts by default, exit status 0.
    """
    result = subprocess.run(
        [sys.executable, "-m", "twisted_fast.bench", "--quick", "--only",
         "loopingcall-clock-tick", *QUICK],
        capture_output=True, text=True, env=_subprocessEnv(), cwd=ROOT, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "workload 1/1: loopingcall-clock-tick" in result.stderr
    assert "loopingcall-clock-tick" in result.stdout
    assert "workload 1/1" not in result.stdout
    assert "PASS" not in result.stdout and "MISS" not in result.stdout


def test_commandLineWithoutMatplotlib(tmp_path: Path) -> None:
    """
    The real entry point, in an interpreter where matplotlib cannot be
    imported: C{--plot} is refused up front with the way to install it.
    """
    program = (
        "import runpy, sys; sys.modules['matplotlib'] = None;"
        " runpy.run_module('twisted_fast.bench', run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", program, "--plot", str(tmp_path / "b.png"), *QUICK],
        capture_output=True, text=True, env=_subprocessEnv(), cwd=ROOT, timeout=300,
    )
    assert result.returncode == 2
    assert f"--plot needs matplotlib, which is not installed: {INSTALL_HINT}" in result.stderr
    assert "workload 1/" not in result.stderr


# --- the plot ----------------------------------------------------------------


def _result(workload: Workload, medians: dict[int, dict[str, float]]) -> WorkloadResult:
    """
    @param medians: by parameter, by side, one round's value.
    @return: a result as the harness would build it.
    """
    result = WorkloadResult(workload)
    for param, sides in medians.items():
        at = ParamResult(param)
        for side, value in sides.items():
            at.series[side] = Series([value], 1)
        result.params.append(at)
    return result


ENV = {
    "twisted": "26.10.0", "python": "3.11.7", "accelerated": True, "cpus": 2,
    "date": "2026-12-05T00:00:00+00:00",
}


def _plotted() -> list[WorkloadResult]:
    """
    @return: a scaling result with a 0-pending point, one whose Twisted side
        stops early, and a single-point one.
    """
    scaling, single = FAKES
    partial = Workload(
        name="fake-partial", title="Fake: partial", description="",
        setup=TENFOLD, params=(1000, 10_000, 100_000),
    )
    both = {"twisted": 1e-6, "fast": 1e-7, "floor": 4e-8}
    return [
        _result(scaling, {0: both, 1000: both, 10_000: both}),
        _result(partial, {1000: both, 10_000: both, 100_000: {"fast": 1e-7}}),
        _result(single, {20_000: {"twisted": 1e-3, "fast": 1e-7}}),
    ]


def test_scalingSelection() -> None:
    """
    Only timed workloads that ran at several numbers of pending timers go on
    the scaling axes; the others become ratio rows.
    """
    results = _plotted()
    scaling = _report.scalingResults(results)
    assert [r.workload.name for r in scaling] == ["fake-scaling", "fake-partial"]
    assert _report.ratioRows(results, scaling) == [
        ("Fake: one size\n(20k pending timers)", pytest.approx(10_000))
    ]


def test_figure() -> None:
    """
    The figure: time per operation in ns/us on a log axis that says lower is
    better; 0 pending timers drawn (linear from 0, then log); plain legend
    entries outside the axes, one floor line that says what it is, a side
    that stopped early says so; single-point workloads as ratio bars.
    """
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib is not installed (requirements/bench.txt pins it)")
    import matplotlib.pyplot as plt

    fig = _report.figure(_plotted(), ENV)
    try:
        scalingAxes, ratioAxes = fig.axes
        assert scalingAxes.get_xscale() == "symlog"
        assert scalingAxes.get_yscale() == "log"
        assert "lower is better" in scalingAxes.get_ylabel()
        assert scalingAxes.yaxis.get_major_formatter()(1e-7, 0) == "100 ns"
        assert scalingAxes.yaxis.get_major_formatter()(2.5e-6, 0) == "2.5 us"
        lines = {line.get_label(): line for line in scalingAxes.get_lines()}
        assert list(lines["Fake: schedule + cancel, Twisted"].get_xdata()) == [0, 1000, 10_000]
        assert scalingAxes.get_legend() is None
        (legend,) = fig.legends
        texts = [t.get_text() for t in legend.get_texts()]
        floors = [t for t in texts if t.startswith("floor")]
        assert floors == [f"floor (40 ns): {_report.FLOOR}"]
        assert texts[:2] == [
            f"Fake: schedule + cancel, {TWISTED.label}",
            f"Fake: schedule + cancel, {FAST.label}",
        ]
        assert f"Fake: partial, {TWISTED.label} (run up to 10k only: slow beyond)" in texts
        assert not any("one size" in t for t in texts)
        labels = [t.get_text() for t in ratioAxes.get_yticklabels()]
        assert labels == ["Fake: one size\n(20k pending timers)"]
        assert "higher is better" in ratioAxes.get_xlabel()
    finally:
        plt.close(fig)


def test_plotWritesPNG(tmp_path: Path) -> None:
    """
    L{_report.plot} writes a PNG file.
    """
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib is not installed (requirements/bench.txt pins it)")
    path = tmp_path / "bench.png"
    _report.plot(str(path), _plotted(), ENV)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- what make bench installs ------------------------------------------------


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        line = line.split("#")[0].split(";")[0].strip()
        if line:
            package, version = line.split("==")
            pins[package.lower()] = version
    return pins


def test_benchRequirements() -> None:
    """
    requirements/bench.txt pins Twisted and what it shares with
    requirements/test.txt at the same versions, plus matplotlib and uvloop,
    and nothing of the test tools.
    """
    bench, test = _pins("bench.txt"), _pins("test.txt")
    shared = set(bench) & set(test)
    assert {p: bench[p] for p in shared} == {p: test[p] for p in shared}
    assert {"twisted", "setuptools", "matplotlib", "uvloop"} <= set(bench)
    tools = {"pytest", "hypothesis", "mypy", "twine", "cryptography", "cibuildwheel"}
    assert not tools & set(bench)


# --- the lateness plot ----------------------------------------------------------------


def _latenessResult() -> WorkloadResult:
    """
    @return: a C{loopingcall-reactor-2000} result whose sides report the
        lateness quantiles as its runner's C{info()} does: Twisted's ticks
        10 ms late, twisted-fast's 1 ms.
    """
    from twisted_fast.bench.loopingcall import QUANTILES, latenessQuantileName

    (workload,) = [w for w in allWorkloads() if w.name == "loopingcall-reactor-2000"]
    result = _result(workload, {1000: {"twisted": 5e-6, "fast": 5e-7}})
    for side, late in (("twisted", 0.01), ("fast", 0.001)):
        info = {"lateness_median_s": late}
        info.update({latenessQuantileName(q): late * (1 + q / QUANTILES) for q in range(101)})
        result.params[0].info[side] = info
    return result


def test_latenessQuantiles() -> None:
    """
    The lateness quantiles come from C{loopingcall-reactor-2000}'s info, by
    side, in order; without that workload there are none; the table's info
    text leaves them out (they are for the plot).
    """
    result = _latenessResult()
    quantiles = _report.latenessQuantiles([result])
    assert sorted(quantiles) == ["fast", "twisted"]
    assert quantiles["twisted"][0] == pytest.approx(0.01)
    assert quantiles["fast"][-1] == pytest.approx(0.002)
    assert quantiles["fast"] == sorted(quantiles["fast"])
    assert _report.latenessQuantiles(_plotted()) == {}
    text = _report.infoText(result.params[0].info["fast"])
    assert text == "lateness median 1 ms", text


def test_latenessPlot(tmp_path: Path) -> None:
    """
    The lateness plot: one cumulative curve per side, named plainly with its
    p99, on a log axis of milliseconds that says lower is better; nothing is
    written when the workload did not run.
    """
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib is not installed (requirements/bench.txt pins it)")
    import matplotlib.pyplot as plt

    fig = _report.latenessFigure(_report.latenessQuantiles([_latenessResult()]), ENV)
    try:
        (axes,) = fig.axes
        assert axes.get_xscale() == "log"
        assert "lower is better" in axes.get_xlabel()
        labels = [line.get_label() for line in axes.get_lines()]
        assert labels == [
            "Twisted: LoopingCall on EPollReactor (p99 19.90 ms)",
            "twisted-fast: LoopingCall on the fast reactor (p99 1.99 ms)",
        ]
    finally:
        plt.close(fig)
    path = tmp_path / "late.png"
    assert _report.plotLateness(str(path), [_latenessResult()], ENV)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not _report.plotLateness(str(tmp_path / "none.png"), _plotted(), ENV)
    assert not (tmp_path / "none.png").exists()
