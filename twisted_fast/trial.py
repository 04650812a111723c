"""
Run a trial suite, your own or Twisted's, with twisted-fast's classes in place.

Run your project's own trial suite (or any trial suite) with the fast classes
patched in, or without them (C{--plain})::

    python -m twisted_fast.trial [--plain] [--json FILE] [trial args...] TESTS...

for example, from a project's folder::

    PYTHONPATH=. python -m twisted_fast.trial myproject.test

This is trial, with L{twisted_fast.install} called once trial's options are
parsed (so after a C{--reactor} option installed its reactor) and before any
test module is imported: C{Clock}, C{LoopingCall}, C{Cooperator},
C{CooperativeTask}, C{DelayedCall} and C{MemoryReactorClock} at Twisted's
names are the fast classes, and the fast reactor is installed as the global
reactor if none is installed yet.  (C{python -m twisted.trial --reactor=fast}
swaps the reactor alone: the C{Clock}s and C{LoopingCall}s that tests make
stay Twisted's.)  The fast reactor classes are also added to those
C{ReactorBuilder} builds its suites for (see L{addFastReactorTwins}), so that
every C{X_EPollReactorTests} gets a twin C{X_FastEPollReactorTests}.  One line
says what is in place.  Everything else is passed to trial unchanged, and the
exit status is trial's.  C{--json FILE} records the outcome of every test (see
L{OUTCOMES}), what stood at the patched names and which global reactor was
installed while the tests ran.

Check that a suite does no worse with the fast classes than with Twisted's,
test for test::

    python -m twisted_fast.trial --compare [--together] [--fast-arg ARG]...
        [--timeout SECONDS] [trial --options...] [MODULES...]

for example C{PYTHONPATH=. python -m twisted_fast.trial --compare
myproject.test}.  Each module (or, with C{--together}, all of them at once)
runs twice in subprocesses, plain and then fast, in the caller's working
directory and with the caller's environment (so a relative C{PYTHONPATH}
means the same to them, and trial keeps its C{_trial_temp} folder there, as
it does when you run it), and every test that does worse in the fast run is
reported as a regression (see L{classify}); a fast-reactor twin is judged
against its Twisted twin in the plain run (see L{plainTwin}), and a twin the
fast run should have run but did not is a regression too.  Without modules
the suites of the contract, L{CONTRACT_SUITES}, are compared.  Trial options
go to both runs and must be written C{--option=value}; C{--fast-arg} options
go to the fast run only (for example a global reactor).  C{--timeout SECONDS}
kills a run that takes longer (default 600, L{DEFAULT_TIMEOUT}: ten minutes is
ample for one module, or a project's whole suite, in one process, and a run
that hangs, on a test that blocks or on a test name that resolves to a huge
suite, still ends; 0 for no limit).  A run that ran no test (a module that
cannot be imported, a crash before the tests) or was killed is a broken run,
reported with the end of its output.  The exit status is 1 on any regression
or broken run.

This drives trial's own machinery (C{twisted.scripts.trial}: its option
parser, loader and runner); only the reporter is subclassed, to record the
outcome of each test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Iterable, NoReturn, Sequence

#: The Twisted suites the fast classes must pass "no worse than a plain run".
CONTRACT_SUITES: tuple[str, ...] = (
    "twisted.test.test_task",
    "twisted.test.test_cooperator",
    "twisted.internet.test.test_base",
    "twisted.internet.test.test_time",
    "twisted.test.test_internet",
    "twisted.internet.test.test_core",
    "twisted.internet.test.test_posixbase",
    "twisted.test.test_threads",
)

#: The fast reactor classes a fast run adds to C{ReactorBuilder}'s, each with
#: the Twisted reactor class whose tests its own tests are judged against.
FAST_REACTOR_TWINS: dict[str, str] = {
    "twisted_fast.reactor.FastEPollReactor": (
        "twisted.internet.epollreactor.EPollReactor"
    ),
    "twisted_fast.reactor.FastPollReactor": "twisted.internet.pollreactor.PollReactor",
    "twisted_fast.reactor.FastSelectReactor": (
        "twisted.internet.selectreactor.SelectReactor"
    ),
}

#: Names described in every run's JSON, patched or not.
WATCHED_NAMES: tuple[str, ...] = (
    "twisted.internet.task.Clock",
    "twisted.internet.base.DelayedCall",
    "twisted.internet.testing.MemoryReactorClock",
)

PASS = "pass"
FAIL = "fail"
ERROR = "error"
SKIP = "skip"
EXPECTED_FAILURE = "expectedFailure"
UNEXPECTED_SUCCESS = "unexpectedSuccess"

#: The outcomes of a test, from best to worst: when trial reports a test more
#: than once (an error logged after a failure, say) the worst one is kept.
OUTCOMES: tuple[str, ...] = (
    PASS,
    SKIP,
    EXPECTED_FAILURE,
    UNEXPECTED_SUCCESS,
    FAIL,
    ERROR,
)

#: Outcomes that make trial's run unsuccessful.
BAD_OUTCOMES = frozenset({FAIL, ERROR})

REGRESSION = "regression"
IMPROVEMENT = "improvement"
CHANGED = "changed"

_PROGRAM = "python -m twisted_fast.trial"

#: Seconds before a child run of C{--compare} is killed, unless C{--timeout}
#: says otherwise: ample for one module, or a project's whole suite in one
#: process (each suite of the contract takes about a second, real projects'
#: suites tens of seconds), yet a run that hangs still ends.
DEFAULT_TIMEOUT = 600.0
_DETAIL_LIMIT = 4000


# ---------------------------------------------------------------------------
# What is in place


@dataclass
class Installation:
    """
    What a run put in place of Twisted's classes.

    @ivar mode: C{"plain"} or C{"fast"}.
    @ivar accelerated: whether the C extension is in use.
    @ivar patched: the dotted names L{twisted_fast.install} replaced.
    @ivar lateModules: Twisted test modules imported before the install, whose
        own references may still be Twisted's classes.
    @ivar fastReactors: the fast reactor classes added to C{ReactorBuilder}'s.
    @ivar globalReactor: the installed global reactor, as described by
        L{describeGlobalReactor}.
    """

    mode: str
    accelerated: bool
    patched: list[str]
    lateModules: list[str] = field(default_factory=list)
    fastReactors: list[str] = field(default_factory=list)
    globalReactor: dict[str, Any] | None = None

    def asJson(self) -> dict[str, Any]:
        """
        @return: these fields, for a run's JSON.
        """
        return {
            "mode": self.mode,
            "accelerated": self.accelerated,
            "patched": self.patched,
            "lateModules": self.lateModules,
            "fastReactors": self.fastReactors,
            "globalReactor": self.globalReactor,
        }

    def describe(self) -> str:
        """
        @return: one line saying what is in place.
        """
        if self.mode == "plain":
            line = "plain run, install() not called: Twisted's own classes"
        elif self.accelerated:
            line = f"ACCELERATED, install() patched {len(self.patched)} names: " + (
                ", ".join(self.patched) or "(none)"
            )
        else:
            line = (
                f"fallback ({fallbackReason()}), install() patched nothing:"
                " Twisted's own classes"
            )
        line += "; global reactor: " + formatReactor(self.globalReactor)
        if self.fastReactors:
            short = [name.rpartition(".")[2] for name in self.fastReactors]
            line += "; ReactorBuilder also builds " + ", ".join(short)
        if self.lateModules:
            late = ", ".join(self.lateModules)
            line += f" [WARNING: imported before install: {late}]"
        return "twisted-fast: " + line


def formatReactor(described: dict[str, Any] | None) -> str:
    """
    @param described: a global reactor, as described by
        L{describeGlobalReactor}.
    @return: its class and whether it is fast, in a few words.
    """
    if described is None:
        return "none installed yet"
    return f"{described['type']} ({'fast' if described['fast'] else 'not fast'})"


def describeGlobalReactor() -> dict[str, Any] | None:
    """
    @return: C{{"type": qualified class name, "fast": bool}} for the installed
        global reactor (fast: its timed calls run on the C heap), or L{None}
        if none is installed yet.
    """
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is None:
        return None
    from twisted_fast.reactor import isFastReactor

    return {"type": _qualifiedName(type(reactor)), "fast": isFastReactor(reactor)}


def fallbackReason() -> str:
    """
    @return: why the C extension is not in use, as far as can be told.
    """
    from twisted_fast import FALLBACK_REASON

    return FALLBACK_REASON or "the C extension is in use"


def _importedTestModules() -> list[str]:
    """
    @return: the Twisted test modules already imported.
    """
    return sorted(
        name
        for name in sys.modules
        if name.startswith("twisted.")
        and any(part.startswith("test_") for part in name.split("."))
    )


def _patchedNames() -> list[str]:
    """
    @return: the dotted names L{twisted_fast.install} has replaced.
    """
    from twisted_fast import _install

    saved = getattr(_install, "_saved", {})
    return sorted(f"{module}.{name}" for module, name in saved)


def addFastReactorTwins() -> list[str]:
    """
    Have every C{ReactorBuilder} suite imported from now on build the fast
    reactors too.

    C{ReactorBuilder._reactors}, the reactor classes C{makeTestCaseClasses}
    makes a test case class for when a test module is imported, is already
    filtered for the platform: each fast class of L{FAST_REACTOR_TWINS} is
    added only if its Twisted twin is there.  Builders that set their own
    C{_reactors} (the glib and CF ones) are left alone, and so is trial's
    C{--reactor}, which only picks the global reactor.  A twin does not
    inherit its Twisted twin's skips by class name: C{skippedReactors}
    entries (none is for epoll, poll or select where they are built) nor a
    test's own check of C{reactor.__class__.__name__} (C{test_fdset}'s
    C{test_lostFileDescriptor} skips C{"EPollReactor"}, and the renamed
    class runs it and times out, as Twisted's own epoll reactor does under
    another name).  Such a difference shows in the comparison, as a
    regression if the twin fails.

    @return: the fast reactor classes added.
    """
    from twisted.internet.test.reactormixins import ReactorBuilder

    present = ReactorBuilder._reactors
    added = [
        fast
        for fast, twin in FAST_REACTOR_TWINS.items()
        if twin in present and fast not in present
    ]
    ReactorBuilder._reactors = [*present, *added]
    return added


def putInPlace(plain: bool) -> Installation:
    """
    Install the fast classes and reactor, and add the fast reactors to
    C{ReactorBuilder}'s, unless C{plain} or in fallback mode.  Call before
    the test modules are imported.

    @param plain: leave Twisted's classes alone.
    @return: what is in place.
    """
    late = _importedTestModules()
    import twisted_fast

    accelerated = twisted_fast.ACCELERATED
    if plain:
        return Installation(
            "plain", accelerated, [], late, globalReactor=describeGlobalReactor()
        )
    twisted_fast.install()
    twins = addFastReactorTwins() if accelerated else []
    return Installation(
        "fast", accelerated, _patchedNames(), late, twins, describeGlobalReactor()
    )


def _fastTypes() -> set[type]:
    """
    @return: the classes of the C extension (empty in fallback mode).
    """
    from twisted_fast import _compat

    speedups = _compat.speedups
    if speedups is None:
        return set()
    return {
        value
        for value in vars(speedups).values()
        if isinstance(value, type)
        and value.__module__ != "builtins"
        and not value.__module__.startswith("twisted.")
    }


def _resolve(dottedName: str) -> Any:
    """
    @return: the object at C{dottedName} (C{module.attribute}), or L{None}.
    """
    import importlib

    moduleName, _, attribute = dottedName.rpartition(".")
    try:
        module = importlib.import_module(moduleName)
    except ImportError:
        return None
    return getattr(module, attribute, None)


def describeNames(names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """
    Say what stands at some dotted names, and whether it is a fast class.

    @param names: dotted names, C{module.attribute}.
    @return: for each name, C{{"type": qualified name, "fast": bool}}; fast
        means built on a class of the C extension.
    """
    fastTypes = _fastTypes()
    described = {}
    for name in names:
        value = _resolve(name)
        mro = getattr(value, "__mro__", (type(value),))
        described[name] = {
            "type": _qualifiedName(value),
            "fast": any(klass in fastTypes for klass in mro),
        }
    return described


def _qualifiedName(value: Any) -> str:
    """
    @return: C{module.qualname} of C{value}, or its C{repr}.
    """
    qualname = getattr(value, "__qualname__", None)
    if qualname is None:
        return repr(value)
    return f"{getattr(value, '__module__', '?')}.{qualname}"


# ---------------------------------------------------------------------------
# Recording outcomes


class Recorder:
    """
    The outcome of each test, by test id, as a reporter reports them.

    @ivar outcomes: test id -> one of L{OUTCOMES}.
    @ivar details: test id -> skip reason or traceback, for outcomes that
        have one.
    @ivar loadErrors: the ids of the errors trial reported for test names it
        could not load (a module that cannot be imported), which are not
        tests that ran.
    """

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}
        self.details: dict[str, str] = {}
        self.loadErrors: list[str] = []

    def record(self, test: Any, outcome: str, detail: str | None = None) -> None:
        """
        Record an outcome, keeping the worst when a test is reported twice.
        """
        testId = _testId(test)
        previous = self.outcomes.get(testId)
        if previous is not None and OUTCOMES.index(previous) >= OUTCOMES.index(outcome):
            return
        self.outcomes[testId] = outcome
        if detail:
            self.details[testId] = detail[-_DETAIL_LIMIT:]
        else:
            self.details.pop(testId, None)

    def counts(self) -> dict[str, int]:
        """
        @return: how many tests had each outcome.
        """
        return countOutcomes(self.outcomes)


def countOutcomes(outcomes: dict[str, str]) -> dict[str, int]:
    """
    @return: how many tests had each outcome, for every outcome.
    """
    counts = dict.fromkeys(OUTCOMES, 0)
    for outcome in outcomes.values():
        counts[outcome] += 1
    return counts


def _testId(test: Any) -> str:
    """
    @return: the id of a test, or some name for what trial reported.
    """
    testId = getattr(test, "id", None)
    return testId() if callable(testId) else str(test)


def _describeError(error: Any) -> str:
    """
    @param error: a L{Failure} or an C{exc_info} tuple.
    @return: its traceback.
    """
    from twisted.python.failure import Failure

    if isinstance(error, tuple):
        if error[1] is None:
            return "unknown error"
        error = Failure(error[1], error[0], error[2])
    try:
        return error.getTraceback()
    except Exception:
        return repr(error)


def recordingReporter(reporterClass: type, recorder: Recorder) -> type:
    """
    Subclass a trial reporter so that it tells C{recorder} every outcome.

    @param reporterClass: trial's reporter, as chosen by C{--reporter}.
    @param recorder: where the outcomes go.
    @return: the subclass, a drop-in for C{reporterClass}.
    """
    # What trial's loader reports, as an error, for a name it cannot load.
    from twisted.trial.runner import ErrorHolder

    class RecordingReporter(reporterClass):
        def addSuccess(self, test: Any) -> None:
            recorder.record(test, PASS)
            super().addSuccess(test)

        def addFailure(self, test: Any, fail: Any) -> None:
            recorder.record(test, FAIL, _describeError(fail))
            super().addFailure(test, fail)

        def addError(self, test: Any, error: Any) -> None:
            recorder.record(test, ERROR, _describeError(error))
            if isinstance(test, ErrorHolder) and _testId(test) not in recorder.loadErrors:
                recorder.loadErrors.append(_testId(test))
            super().addError(test, error)

        def addSkip(self, test: Any, reason: Any) -> None:
            recorder.record(test, SKIP, str(reason))
            super().addSkip(test, reason)

        def addExpectedFailure(self, test: Any, *args: Any, **kwargs: Any) -> None:
            recorder.record(test, EXPECTED_FAILURE)
            super().addExpectedFailure(test, *args, **kwargs)

        def addUnexpectedSuccess(self, test: Any, *args: Any, **kwargs: Any) -> None:
            recorder.record(test, UNEXPECTED_SUCCESS)
            super().addUnexpectedSuccess(test, *args, **kwargs)

    RecordingReporter.__name__ = RecordingReporter.__qualname__ = (
        "Recording" + reporterClass.__name__
    )
    return RecordingReporter


# ---------------------------------------------------------------------------
# One run, in this process


def runTrial(
    trialArgs: Sequence[str], plain: bool = False, jsonPath: str | None = None
) -> int:
    """
    Parse trial's options (a C{--reactor} option installs its reactor then),
    put the fast classes in place (unless C{plain}), then run trial.

    @param trialArgs: trial's command line, options and test names.
    @param plain: run on Twisted's own classes.
    @param jsonPath: where to write the outcome of each test, if anywhere.
    @return: trial's exit status: 0 if the run was successful, else 1.
    """
    from twisted.scripts import trial as script

    config = _parseTrialOptions(script, trialArgs)
    installation = putInPlace(plain)
    print(installation.describe(), flush=True)
    recorder = Recorder()
    config["reporter"] = recordingReporter(config["reporter"], recorder)
    script._initialDebugSetup(config)
    try:
        trialRunner = script._makeRunner(config)
    except script._DebuggerNotFound as e:
        raise SystemExit(f"{_PROGRAM}: {e}")
    suite = script._getSuite(config)
    names = sorted(set(WATCHED_NAMES) | set(installation.patched))
    classes = describeNames(names)
    started = time.monotonic()
    result = _runSuite(trialRunner, suite, config["until-failure"])
    seconds = time.monotonic() - started
    _finishCoverage(config)
    if jsonPath is not None:
        report = {
            **installation.asJson(),
            "classes": classes,
            "classesAtEnd": describeNames(names),
            "globalReactorAtEnd": describeGlobalReactor(),
            "argv": list(trialArgs),
            "seconds": round(seconds, 3),
            "successful": bool(result.wasSuccessful()),
            "counts": recorder.counts(),
            "tests": recorder.outcomes,
            "details": recorder.details,
            "loadErrors": recorder.loadErrors,
        }
        _writeJson(jsonPath, report)
    return 0 if result.wasSuccessful() else 1


def _parseTrialOptions(script: Any, trialArgs: Sequence[str]) -> Any:
    """
    Parse trial's command line with trial's own options.

    @param script: C{twisted.scripts.trial}.
    @return: the parsed C{Options}.
    """
    from twisted.python import usage

    sys.argv = ["trial", *trialArgs]
    config = script.Options()
    try:
        config.parseOptions(list(trialArgs))
    except usage.error as e:
        raise SystemExit(f"{_PROGRAM}: {e}")
    if config["jobs"]:
        raise SystemExit(
            f"{_PROGRAM}: --jobs is not supported: trial's worker processes"
            " would not have the fast classes installed"
        )
    return config


def _runSuite(trialRunner: Any, suite: Any, untilFailure: bool) -> Any:
    """
    @return: trial's result for C{suite}.
    """
    if untilFailure:
        return trialRunner.runUntilFailure(suite)
    return trialRunner.run(suite)


def _finishCoverage(config: Any) -> None:
    """
    Write coverage results, as trial does for C{--coverage}.
    """
    if config.tracer:
        sys.settrace(None)
        results = config.tracer.results()
        results.write_results(
            show_missing=True, summary=False, coverdir=config.coverdir().path
        )


def _writeJson(path: str, data: dict[str, Any]) -> None:
    """
    Write C{data} to C{path} as JSON.
    """
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)


# ---------------------------------------------------------------------------
# Comparing a plain run with a fast run, in subprocesses


@dataclass
class RunResult:
    """
    One trial run in a subprocess.

    @ivar mode: C{"plain"} or C{"fast"}.
    @ivar modules: the test names run.
    @ivar returncode: the exit status, L{None} if it timed out.
    @ivar seconds: wall time, including the interpreter's start.
    @ivar data: what the run wrote with C{--json}, L{None} if nothing.
    @ivar output: its standard output and error, as they came.
    @ivar timeout: the seconds it had before being killed, L{None} for no
        limit.
    """

    mode: str
    modules: tuple[str, ...]
    returncode: int | None
    seconds: float
    data: dict[str, Any] | None
    output: str
    timeout: float | None = None

    @property
    def tests(self) -> dict[str, str]:
        """
        @return: test id -> outcome.
        """
        return dict(self.data["tests"]) if self.data else {}

    @property
    def twins(self) -> list[str]:
        """
        @return: the fast-reactor twins among the tests run (see
            L{plainTwin}).
        """
        return [testId for testId in self.tests if plainTwin(testId) is not None]

    @property
    def fastReactors(self) -> list[str]:
        """
        @return: the fast reactor classes the run added to C{ReactorBuilder}'s.
        """
        return list(self.data.get("fastReactors", [])) if self.data else []

    @property
    def globalReactor(self) -> dict[str, Any] | None:
        """
        @return: the global reactor in place when the tests were loaded, as
            described by L{describeGlobalReactor}.
        """
        return self.data.get("globalReactor") if self.data else None

    @property
    def banner(self) -> str:
        """
        @return: the line the run printed about what was in place.
        """
        for line in self.output.splitlines():
            if line.startswith("twisted-fast: "):
                return line
        return "twisted-fast: (no banner)"

    @property
    def loadErrors(self) -> dict[str, str]:
        """
        @return: test name -> the last line of its error, for each name trial
            could not load (a module that cannot be imported).
        """
        if not self.data:
            return {}
        details = self.data.get("details", {})
        return {
            name: _lastLine(details.get(name, "")) or "unknown error"
            for name in self.data.get("loadErrors", [])
        }

    @property
    def testsRun(self) -> int:
        """
        @return: how many tests ran (names trial could not load are not
            tests).
        """
        loadErrors = self.loadErrors
        return sum(1 for testId in self.tests if testId not in loadErrors)

    @property
    def problem(self) -> str | None:
        """
        @return: why this run leaves nothing to compare, or L{None} if it
            ran tests: it was killed (see L{timeout}), it ended without
            writing its results, or it ran no test.
        """
        run = f"{self.mode} run of {' '.join(self.modules)}"
        if self.data is None and self.returncode is None:
            after = "" if self.timeout is None else f" after {self.timeout:g}s (--timeout)"
            return f"{run} was killed{after} before it finished"
        if self.data is None:
            return f"{run} ended without results (exit status {self.returncode})"
        if self.testsRun:
            return None
        reasons = [f"could not load {n}: {e}" for n, e in self.loadErrors.items()]
        return f"{run} ran no tests" + "".join(f"; {reason}" for reason in reasons)

    def summary(self) -> str:
        """
        @return: counts and time, on one line.
        """
        if self.data is None:
            ended = (
                "killed" if self.returncode is None else f"exit status {self.returncode}"
            )
            return f"NO RESULTS ({ended}, {self.seconds:.1f}s)"
        counts = countOutcomes(self.tests)
        parts = [f"{n} {outcome}" for outcome, n in counts.items() if n]
        listed = ", ".join(parts) or "none"
        twins = len(self.twins)
        extra = f" (+{twins} fast-reactor twins among them)" if twins else ""
        notLoaded = len(self.loadErrors)
        if notLoaded:
            extra += f" (+{notLoaded} names trial could not load, counted as errors)"
        return f"{self.testsRun} tests{extra}: {listed} ({self.seconds:.1f}s)"


@dataclass
class Difference:
    """
    A test whose outcome differs between the plain and the fast run.

    @ivar kind: L{REGRESSION}, L{IMPROVEMENT} or L{CHANGED}.
    @ivar plain: the plain outcome, L{None} if the test did not run.
    @ivar fast: the fast outcome, L{None} if the test did not run.
    @ivar detail: the fast run's traceback or skip reason, if any.
    @ivar twin: for a fast-reactor twin, the test of the plain run it is
        judged against (see L{plainTwin}).
    """

    testId: str
    kind: str
    plain: str | None
    fast: str | None
    detail: str | None = None
    twin: str | None = None

    def format(self) -> str:
        """
        @return: a line, followed by the detail's last lines, indented.
        """
        plain, fast = self.plain or "not run", self.fast or "not run"
        if self.twin is not None:
            plain += f" (as its twin {self.twin.rsplit('.', 2)[1]})"
        line = f"  {self.kind.upper()} {self.testId}: plain {plain}, fast {fast}"
        if not self.detail:
            return line
        tail = self.detail.rstrip().splitlines()[-12:]
        return "\n".join([line, *("      " + text for text in tail)])


@dataclass
class Comparison:
    """
    The plain and fast runs of one set of test modules.
    """

    modules: tuple[str, ...]
    plain: RunResult
    fast: RunResult
    differences: list[Difference]

    @property
    def regressions(self) -> list[Difference]:
        """
        @return: the tests that do worse with the fast classes.
        """
        return [d for d in self.differences if d.kind == REGRESSION]

    @property
    def problems(self) -> list[str]:
        """
        @return: runs that broke down and left nothing to compare (see
            L{RunResult.problem}).
        """
        return [run.problem for run in (self.plain, self.fast) if run.problem]

    @property
    def ok(self) -> bool:
        """
        @return: whether the fast run is no worse than the plain one.
        """
        return not self.regressions and not self.problems

    def format(self) -> str:
        """
        @return: a report of both runs and every difference.
        """
        lines = [
            f"== {' '.join(self.modules)}",
            f"  plain: {self.plain.summary()}",
            f"  fast:  {self.fast.summary()}",
            f"         {self.fast.banner}",
        ]
        lines.extend(d.format() for d in self.differences)
        lines.extend(f"  PROBLEM {problem}" for problem in self.problems)
        for run in (self.plain, self.fast):
            if run.problem:
                tail = run.output.rstrip().splitlines()[-20:]
                lines.append(f"  the {run.mode} run's output (stdout and stderr) ends:")
                lines.extend(f"    {run.mode}| {text}" for text in tail)
        return "\n".join(lines)


@dataclass
class CompareReport:
    """
    The comparisons of every module set.
    """

    comparisons: list[Comparison]

    @property
    def tests(self) -> int:
        """
        @return: how many tests the plain runs ran.
        """
        return sum(c.plain.testsRun for c in self.comparisons)

    @property
    def twins(self) -> int:
        """
        @return: how many fast-reactor twins the fast runs ran.
        """
        return sum(len(c.fast.twins) for c in self.comparisons)

    @property
    def regressions(self) -> list[Difference]:
        """
        @return: every regression.
        """
        return [d for c in self.comparisons for d in c.regressions]

    @property
    def ok(self) -> bool:
        """
        @return: whether every comparison is.
        """
        return all(c.ok for c in self.comparisons)

    def summary(self) -> str:
        """
        @return: the one-line summary.
        """
        fastModes = {_fastKind(c.fast) for c in self.comparisons}
        reactors = {formatReactor(c.fast.globalReactor) for c in self.comparisons}
        problems = sum(len(c.problems) for c in self.comparisons)
        line = (
            f"compare: {self.tests} tests (+{self.twins} fast-reactor twins),"
            f" fast regressions: {len(self.regressions)}"
            f" (fast run: {', '.join(sorted(fastModes))};"
            f" global reactor: {', '.join(sorted(reactors))})"
        )
        return line + (f", broken runs: {problems}" if problems else "")


def _fastKind(run: RunResult) -> str:
    """
    @return: C{"ACCELERATED"}, C{"fallback"} or C{"unknown"} for a fast run.
    """
    if run.data is None:
        return "unknown"
    return "ACCELERATED" if run.data.get("accelerated") else "fallback"


def classify(plain: str | None, fast: str | None) -> str | None:
    """
    Judge the fast outcome of a test against its plain one.

    A regression is a test that passes plain but not fast, or that fails or
    errors fast but did not fail the same way plain (including a test only
    the fast run reported).  A test that fails plain and not fast is an
    improvement; any other difference (a skip, a todo) is a change.

    @param plain: the plain outcome, L{None} if the test did not run.
    @param fast: the fast outcome, L{None} if the test did not run.
    @return: L{REGRESSION}, L{IMPROVEMENT}, L{CHANGED}, or L{None} if the
        outcomes are the same.
    """
    if plain == fast:
        return None
    if plain == PASS or fast in BAD_OUTCOMES:
        return REGRESSION
    if plain in BAD_OUTCOMES and fast is not None:
        return IMPROVEMENT
    return CHANGED


def diffRuns(plain: RunResult, fast: RunResult) -> list[Difference]:
    """
    @return: every test whose outcome differs, regressions first; nothing
        if either run left no results (see L{Comparison.problems}).  A
        fast-reactor twin is judged against its Twisted twin in the plain run,
        and each plain test of a reactor the fast run has a twin for counts as
        a fast test (its twin) that must have run.
    """
    if plain.data is None or fast.data is None:
        return []
    plainTests, fastTests = plain.tests, fast.tests
    details = fast.data.get("details", {})
    expected = set(plainTests) | set(fastTests)
    expected.update(filter(None, (fastTwin(t, fast.fastReactors) for t in plainTests)))
    differences = []
    for testId in sorted(expected):
        twin = plainTwin(testId)
        before = plainTests.get(twin or testId)
        after = fastTests.get(testId)
        kind = classify(before, after)
        if kind is not None:
            differences.append(
                Difference(testId, kind, before, after, details.get(testId), twin)
            )
    order = (REGRESSION, CHANGED, IMPROVEMENT)
    return sorted(differences, key=lambda d: order.index(d.kind))


def _twinClassSuffix(reactorClass: str) -> str:
    """
    @param reactorClass: the qualified name of a reactor class.
    @return: how the names of the test case classes C{ReactorBuilder} makes
        for it end: C{"_EPollReactorTests"} for C{...EPollReactor}.
    """
    return "_" + reactorClass.rpartition(".")[2] + "Tests"


def _swapClassSuffix(testId: str, old: str, new: str) -> str | None:
    """
    @return: C{testId} (C{module.Class.method}) with its class name's suffix
        C{old} replaced by C{new}, or L{None} if the class name does not end
        with C{old}.
    """
    parts = testId.rsplit(".", 2)
    if len(parts) != 3 or not parts[1].endswith(old):
        return None
    module, klass, method = parts
    return f"{module}.{klass[: -len(old)]}{new}.{method}"


def plainTwin(testId: str) -> str | None:
    """
    The Twisted twin of a fast-reactor test: C{X_EPollReactorTests.test_y}
    for C{X_FastEPollReactorTests.test_y} (see L{FAST_REACTOR_TWINS}).

    @param testId: a test id.
    @return: the id of its twin, or L{None} if it is not a fast-reactor test.
    """
    for fast, twin in FAST_REACTOR_TWINS.items():
        swapped = _swapClassSuffix(
            testId, _twinClassSuffix(fast), _twinClassSuffix(twin)
        )
        if swapped is not None:
            return swapped
    return None


def fastTwin(testId: str, fastReactors: Iterable[str]) -> str | None:
    """
    The fast-reactor twin of a test of one of Twisted's reactors: the inverse
    of L{plainTwin}.

    @param testId: a test id.
    @param fastReactors: the fast reactor classes built (see
        L{addFastReactorTwins}).
    @return: the id of its fast twin, or L{None} if C{testId} is not a test of
        the twin of one of C{fastReactors}.
    """
    for fast in fastReactors:
        swapped = _swapClassSuffix(
            testId,
            _twinClassSuffix(FAST_REACTOR_TWINS[fast]),
            _twinClassSuffix(fast),
        )
        if swapped is not None:
            return swapped
    return None


def _lastLine(text: str) -> str:
    """
    @return: the last line of C{text} that is not blank, stripped.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _childEnvironment() -> dict[str, str]:
    """
    The environment of a run: the caller's, able to import this very package.

    The caller's C{PYTHONPATH} is kept as it is, relative entries too (the
    run has the caller's working directory).  The folder this package was
    imported from is added after it only when the run would not find the
    package otherwise (a checkout that is not installed): added in front, a
    site-packages folder would hide a project's own checkout behind an
    installed copy.

    @return: the environment.
    """
    import site

    import twisted_fast

    root = os.path.dirname(os.path.dirname(os.path.abspath(twisted_fast.__file__)))
    env = dict(os.environ)
    sitePackages = [*getattr(site, "getsitepackages", list)(), site.getusersitepackages()]
    if root in {os.path.abspath(folder) for folder in sitePackages}:
        return env
    paths = [entry for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry]
    if root not in {os.path.abspath(entry) for entry in paths}:
        env["PYTHONPATH"] = os.pathsep.join([*paths, root])
    return env


def runInSubprocess(
    modules: Sequence[str],
    plain: bool,
    trialArgs: Sequence[str] = (),
    timeout: float | None = DEFAULT_TIMEOUT,
    python: str = sys.executable,
    cwd: str | None = None,
) -> RunResult:
    """
    Run trial on C{modules} in a subprocess, with the caller's environment
    (see L{_childEnvironment}), in the caller's working directory (where
    trial keeps its C{_trial_temp} folder, unless C{trialArgs} has a
    C{--temp-directory}).

    @param modules: the test names.
    @param plain: run on Twisted's own classes.
    @param trialArgs: further trial options.
    @param timeout: seconds before the run is killed, L{None} for no limit.
    @param python: the interpreter.
    @param cwd: the working directory, if not the caller's.
    @return: the run.
    """
    with tempfile.TemporaryDirectory(prefix="twisted-fast-trial-") as scratch:
        jsonPath = os.path.join(scratch, "outcomes.json")
        argv = [python, "-m", "twisted_fast.trial", "--json", jsonPath]
        argv += ["--plain"] if plain else []
        argv += [*trialArgs, *modules]
        started = time.monotonic()
        returncode, output = _execute(argv, cwd or os.getcwd(), timeout)
        seconds = time.monotonic() - started
        data = _readJson(jsonPath)
    mode = "plain" if plain else "fast"
    return RunResult(mode, tuple(modules), returncode, seconds, data, output, timeout)


def _execute(
    argv: list[str], workdir: str, timeout: float | None
) -> tuple[int | None, str]:
    """
    @return: the exit status (L{None} on timeout) and output of C{argv}, run
        in C{workdir}.
    """
    try:
        completed = subprocess.run(
            argv,
            cwd=workdir,
            env=_childEnvironment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        output = (e.output or b"").decode("utf-8", "replace")
        return None, output + f"\n[killed after {timeout}s]"
    return completed.returncode, completed.stdout.decode("utf-8", "replace")


def _readJson(path: str) -> dict[str, Any] | None:
    """
    @return: the JSON at C{path}, or L{None} if there is none.
    """
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def compareSet(
    modules: Sequence[str],
    trialArgs: Sequence[str] = (),
    fastArgs: Sequence[str] = (),
    timeout: float | None = DEFAULT_TIMEOUT,
    cwd: str | None = None,
) -> Comparison:
    """
    Run one set of test modules plain, then fast, and compare.

    @param modules: the test names, run by one trial process per mode.
    @param trialArgs: trial options for both runs.
    @param fastArgs: trial options for the fast run only.
    @param timeout: seconds before a run is killed, L{None} for no limit.
    @param cwd: the runs' working directory, if not the caller's.
    @return: the comparison.
    """
    plain = runInSubprocess(modules, True, trialArgs, timeout, cwd=cwd)
    fast = runInSubprocess(modules, False, [*trialArgs, *fastArgs], timeout, cwd=cwd)
    return Comparison(tuple(modules), plain, fast, diffRuns(plain, fast))


def compare(
    modules: Sequence[str] = CONTRACT_SUITES,
    trialArgs: Sequence[str] = (),
    fastArgs: Sequence[str] = (),
    together: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    out: IO[str] | None = None,
) -> CompareReport:
    """
    Compare plain and fast runs of each module (or of all of them together).

    @param modules: the test names; L{CONTRACT_SUITES} by default.
    @param trialArgs: trial options for both runs.
    @param fastArgs: trial options for the fast runs only.
    @param together: run all modules in one trial process per mode.
    @param timeout: seconds before a run is killed, L{None} for no limit.
    @param out: where to write the report as it goes, if anywhere.
    @return: the comparisons.
    """
    moduleSets = [list(modules)] if together else [[m] for m in modules]
    comparisons = []
    for moduleSet in moduleSets:
        comparison = compareSet(moduleSet, trialArgs, fastArgs, timeout)
        comparisons.append(comparison)
        _write(out, comparison.format())
    report = CompareReport(comparisons)
    _write(out, report.summary())
    return report


def _write(out: IO[str] | None, text: str) -> None:
    """
    Write a line of report to C{out}, if any.
    """
    if out is not None:
        out.write(text + "\n")
        out.flush()


# ---------------------------------------------------------------------------
# Command line


@dataclass
class Arguments:
    """
    The command line, split into this runner's options and trial's.
    """

    plain: bool = False
    jsonPath: str | None = None
    compare: bool = False
    together: bool = False
    timeout: float | None = DEFAULT_TIMEOUT
    fastArgs: list[str] = field(default_factory=list)
    trialArgs: list[str] = field(default_factory=list)


def _valueOption(args: Arguments, name: str, value: str) -> None:
    """
    Set the option C{name} (one that takes a value) to C{value}.
    """
    if name == "--json":
        args.jsonPath = value
    elif name == "--fast-arg":
        args.fastArgs.append(value)
    else:
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1.0
        if not seconds >= 0:
            raise SystemExit(f"{_PROGRAM}: --timeout needs a number of seconds, not {value!r}")
        args.timeout = seconds or None  # 0: no limit


_FLAGS: dict[str, Callable[[Arguments], None]] = {
    "--plain": lambda a: setattr(a, "plain", True),
    "--compare": lambda a: setattr(a, "compare", True),
    "--together": lambda a: setattr(a, "together", True),
}
_VALUE_OPTIONS = ("--json", "--fast-arg", "--timeout")


def parseArguments(argv: Sequence[str]) -> Arguments:
    """
    Take this runner's options out of C{argv}; the rest is trial's.

    @param argv: the command line, without the program name.
    @return: the parsed arguments.
    """
    args = Arguments()
    items = list(argv)
    while items:
        item = items.pop(0)
        name, equals, value = item.partition("=")
        if item in _FLAGS:
            _FLAGS[item](args)
        elif name in _VALUE_OPTIONS and equals:
            _valueOption(args, name, value)
        elif item in _VALUE_OPTIONS:
            if not items:
                raise SystemExit(f"{_PROGRAM}: {item} needs a value")
            _valueOption(args, item, items.pop(0))
        else:
            args.trialArgs.append(item)
    return args


def _mainCompare(args: Arguments) -> int:
    """
    Run the C{--compare} mode.

    @return: the exit status: 1 on regressions or broken runs.
    """
    options = [a for a in args.trialArgs if a.startswith("-")]
    modules = [a for a in args.trialArgs if not a.startswith("-")]
    report = compare(
        modules or CONTRACT_SUITES,
        options,
        args.fastArgs,
        args.together,
        args.timeout,
        sys.stdout,
    )
    return 0 if report.ok else 1


def _printHelp() -> NoReturn:
    """
    Print this runner's usage, then trial's, and exit.
    """
    print(__doc__.strip() + "\n\nTrial's own options follow.\n", flush=True)
    from twisted.scripts import trial as script

    sys.argv = ["trial"]
    script.Options().opt_help()
    sys.exit(0)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """
    Run the command line (C{sys.argv} by default) and exit.
    """
    if argv is None:
        argv = sys.argv[1:]
    if not argv or "--help" in argv or "-h" in argv:
        _printHelp()
    args = parseArguments(argv)
    if args.compare:
        sys.exit(_mainCompare(args))
    sys.exit(runTrial(args.trialArgs or ["--help"], args.plain, args.jsonPath))


if __name__ == "__main__":
    main()
