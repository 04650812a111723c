"""
C{python -m twisted_fast.trial} on a user's own trial suite: a small project
written into a temporary folder and run from there with a relative
C{PYTHONPATH=.}, as a user runs it (txtorcon's suite is run that way), in
subprocesses; and the C{--compare} mode's handling of runs that ran no test
or did not finish.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import twisted_fast
from twisted_fast import trial

# Where the package under test was imported from: this checkout, or
# site-packages when the suite runs against an installed package.
ROOT = Path(twisted_fast.__file__).resolve().parent.parent

#: The project's package, named so that nothing else on the path has it.
PROJECT = "tfuserproject"

#: A user's project: a package with a trial suite that uses Twisted's timers
#: and checks where trial runs it.
PROJECT_FILES = {
    f"{PROJECT}/__init__.py": "",
    f"{PROJECT}/test/__init__.py": "",
    f"{PROJECT}/test/test_timers.py": textwrap.dedent(
        '''
        import os

        from twisted.internet import reactor, task
        from twisted.trial import unittest


        class TimerTests(unittest.TestCase):
            def test_clock(self):
                """
                A Clock runs what is due when advanced.
                """
                clock = task.Clock()
                calls = []
                clock.callLater(1, calls.append, 1)
                clock.advance(1)
                self.assertEqual(calls, [1])

            def test_loopingCall(self):
                """
                A LoopingCall on a Clock ticks every interval.
                """
                clock = task.Clock()
                ticks = []
                loop = task.LoopingCall(ticks.append, None)
                loop.clock = clock
                loop.start(1)
                clock.pump([1, 1])
                loop.stop()
                self.assertEqual(len(ticks), 3)

            def test_deferLater(self):
                """
                The global reactor runs a timed call.
                """
                return task.deferLater(reactor, 0.01, lambda: None)

            def test_whereTrialRuns(self):
                """
                Trial runs the tests in its temporary folder inside the folder
                it was started from, with that run's environment.
                """
                here = os.path.dirname(os.getcwd())
                self.assertEqual(here, os.environ["TFUSERPROJECT_HOME"])
        '''
    ),
}

#: A test that does not finish in time.
SLOW_TEST = textwrap.dedent(
    '''
    import time

    from twisted.trial import unittest


    class SlowTests(unittest.TestCase):
        def test_sleeps(self):
            """
            Sleeps for longer than the run may take.
            """
            time.sleep(60)
    '''
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """
    A user's project folder, with L{PROJECT_FILES}.
    """
    folder = tmp_path.resolve() / "project"
    for name, text in PROJECT_FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def _runner(
    folder: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """
    Run C{python -m twisted_fast.trial} in C{folder} with C{PYTHONPATH=.}
    (and the folder this package is imported from, after it).
    """
    environment = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([".", str(ROOT)]),
        TFUSERPROJECT_HOME=str(folder),
    )
    return subprocess.run(
        [sys.executable, "-m", "twisted_fast.trial", *args],
        cwd=folder,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _output(result: subprocess.CompletedProcess[str]) -> str:
    """
    @return: all a run wrote.
    """
    return result.stdout + result.stderr


def test_ownSuite(project: Path) -> None:
    """
    C{python -m twisted_fast.trial PACKAGE}, run from a project's folder
    with C{PYTHONPATH=.}, runs the project's own suite with the fast classes
    in place (Twisted's own in fallback mode), and says so.
    """
    result = _runner(project, "--json", "run.json", PROJECT)
    output = _output(result)
    assert result.returncode == 0, output
    assert "PASSED (successes=4)" in result.stdout, output
    if twisted_fast.ACCELERATED:
        assert "twisted-fast: ACCELERATED, install() patched" in result.stdout, output
        assert "(fast)" in result.stdout, output
    else:
        assert "twisted-fast: fallback (" in result.stdout, output

    data = json.loads((project / "run.json").read_text())
    assert data["counts"][trial.PASS] == 4, data
    clock = data["classes"]["twisted.internet.task.Clock"]
    assert clock["fast"] is twisted_fast.ACCELERATED, clock


def test_compareOwnSuite(project: Path) -> None:
    """
    C{--compare} runs its plain and fast children in the caller's folder with
    the caller's environment, so that a relative C{PYTHONPATH=.} finds the
    project's suite there: every test runs in both, no regression, exit
    status 0; trial keeps its temporary folder in the caller's folder, as it
    does for its users.
    """
    result = _runner(project, "--compare", f"{PROJECT}.test")
    output = _output(result)
    assert result.returncode == 0, output
    assert "  plain: 4 tests: 4 pass" in result.stdout, output
    assert "  fast:  4 tests: 4 pass" in result.stdout, output
    assert "REGRESSION" not in result.stdout and "PROBLEM" not in result.stdout, output
    assert (project / "_trial_temp").is_dir(), output


def test_compareMissingModule(project: Path) -> None:
    """
    A module the children cannot import leaves them with no test to
    compare: the exit status is 1, and the report names the module, says
    why, and shows the end of each child's output.
    """
    missing = f"{PROJECT}.test.test_missing"
    result = _runner(project, "--compare", missing)
    output = _output(result)
    assert result.returncode == 1, output
    for mode in ("plain", "fast"):
        assert f"PROBLEM {mode} run of {missing} ran no tests" in result.stdout, output
        assert f"    {mode}| " in result.stdout, output
    # Trial's own words for a name it cannot find.
    assert f"could not load {missing}: builtins.AttributeError: {missing} does not exist." in (
        result.stdout
    ), output
    assert result.stdout.rstrip().endswith("broken runs: 2"), output


def test_compareTimeout(project: Path) -> None:
    """
    A child that does not finish within C{--timeout} is killed and counts
    as a broken run: the exit status is 1 and the report says so.
    """
    (project / PROJECT / "test" / "test_slow.py").write_text(SLOW_TEST)
    slow = f"{PROJECT}.test.test_slow"
    started = time.monotonic()
    result = _runner(project, "--compare", "--timeout=2", slow, timeout=60)
    output = _output(result)
    assert time.monotonic() - started < 40, output
    assert result.returncode == 1, output
    for mode in ("plain", "fast"):
        assert (
            f"PROBLEM {mode} run of {slow} was killed after 2s (--timeout)"
            in result.stdout
        ), output


def test_defaultTimeout() -> None:
    """
    Without C{--timeout}, each child of C{--compare} is killed after
    L{trial.DEFAULT_TIMEOUT} seconds, so that a run that hangs ends;
    C{--timeout=0} means no limit.
    """
    assert 60 <= trial.DEFAULT_TIMEOUT <= 3600
    assert trial.parseArguments(["--compare", "m"]).timeout == trial.DEFAULT_TIMEOUT
    assert trial.parseArguments(["--timeout=0", "m"]).timeout is None
    assert trial.parseArguments(["--timeout", "5", "m"]).timeout == 5.0


def test_defaultTimeoutApplied(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    C{--compare} without C{--timeout} hands L{trial.DEFAULT_TIMEOUT} to each
    child run.
    """
    seen: list[Any] = []

    def execute(argv: list[str], workdir: str, timeout: float | None) -> Any:
        seen.append(timeout)
        return 1, ""

    monkeypatch.setattr(trial, "_execute", execute)
    assert trial._mainCompare(trial.parseArguments(["--compare", "m"])) == 1
    assert seen == [trial.DEFAULT_TIMEOUT, trial.DEFAULT_TIMEOUT]


def test_help() -> None:
    """
    C{--help} says that the runner runs the user's own suite with the fast
    classes patched in (unlike C{--reactor=fast}, which swaps the reactor
    alone), with an example, and gives C{--timeout}'s default.
    """
    result = subprocess.run(
        [sys.executable, "-m", "twisted_fast.trial", "--help"],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, _output(result)
    text = " ".join(result.stdout.split())
    assert "PYTHONPATH=. python -m twisted_fast.trial myproject.test" in text, text
    assert "--reactor=fast" in text and "swaps the reactor alone" in text, text
    assert f"default {trial.DEFAULT_TIMEOUT:g}" in text, text


def test_childEnvironment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """
    A child run gets the caller's environment: C{PYTHONPATH} keeps its
    entries, relative ones too, in order, and the folder this package is
    imported from comes after them, unless it is a site-packages folder.
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([".", "src"]))
    monkeypatch.setenv("TFUSERPROJECT_MARKER", "kept")
    environment = trial._childEnvironment()
    assert environment["TFUSERPROJECT_MARKER"] == "kept"
    paths = environment["PYTHONPATH"].split(os.pathsep)
    assert paths[:2] == [".", "src"]
    assert paths[2:] in ([], [str(ROOT)])
    assert (paths[2:] == []) == (str(ROOT) in _sitePackages())


def _sitePackages() -> set[str]:
    """
    @return: the site-packages folders of this interpreter.
    """
    import site

    return {os.path.abspath(p) for p in [*site.getsitepackages(), site.getusersitepackages()]}


def _result(
    data: dict[str, Any] | None, returncode: int | None = 1, timeout: float | None = 5
) -> trial.RunResult:
    """
    @return: a plain run of C{m} that recorded C{data}.
    """
    return trial.RunResult("plain", ("m",), returncode, 1.0, data, "output", timeout)


def test_problems() -> None:
    """
    L{trial.RunResult.problem} says why a run leaves nothing to compare: it
    was killed, it ended without results, or it ran no test (names trial
    could not load are not tests); a run that ran a test has none.
    """
    assert _result(None, None, 2.5).problem == (
        "plain run of m was killed after 2.5s (--timeout) before it finished"
    )
    assert _result(None, None, None).problem == "plain run of m was killed before it finished"
    assert _result(None, 3).problem == "plain run of m ended without results (exit status 3)"
    assert _result({"tests": {}}).problem == "plain run of m ran no tests"
    notLoaded = {
        "tests": {"m": trial.ERROR},
        "details": {"m": "Traceback:\n  ...\nImportError: no m\n\n"},
        "loadErrors": ["m"],
    }
    assert _result(notLoaded).problem == (
        "plain run of m ran no tests; could not load m: ImportError: no m"
    )
    ran = {**notLoaded, "tests": {**notLoaded["tests"], "n.T.test_x": trial.FAIL}}
    assert _result(ran).testsRun == 1
    assert _result(ran).problem is None
