"""
Twisted's own suites pass with the fast classes and the fast reactor no worse
than without them, test for test.

Each suite of the contract (L{trial.CONTRACT_SUITES}) runs twice in
subprocesses, through L{twisted_fast.trial}: plain, then with
L{twisted_fast.install} in effect, which installs the fast reactor as the
global reactor and has every C{ReactorBuilder} suite build the fast reactors
too.  Each such fast-reactor test is judged against its Twisted twin of the
plain run (C{X_FastEPollReactorTests.test_y} against
C{X_EPollReactorTests.test_y}).  The comparison needs the C extension (in
fallback mode both runs would use Twisted's classes), so it is skipped
without it.  The tests that run the suites are marked C{upstream}; all eight
take about ten seconds.
"""

from __future__ import annotations

from typing import Any

import pytest

import twisted_fast
from twisted_fast import trial

#: For each suite of the contract, the fewest tests a healthy plain run has,
#: and the fewest fast-reactor twins a healthy fast run adds (the
#: C{ReactorBuilder} suites build 3 fast reactors on Linux).
SUITES: dict[str, tuple[int, int]] = {
    "twisted.test.test_task": (60, 0),
    "twisted.test.test_cooperator": (25, 0),
    "twisted.internet.test.test_base": (20, 0),
    "twisted.internet.test.test_time": (10, 6),
    "twisted.test.test_internet": (55, 0),
    "twisted.internet.test.test_core": (70, 40),
    "twisted.internet.test.test_posixbase": (10, 0),
    "twisted.test.test_threads": (12, 0),
}

#: Seconds before a run is killed; each takes about a second.
TIMEOUT = 300.0

requiresAccelerated = pytest.mark.skipif(
    not twisted_fast.ACCELERATED,
    reason="fallback mode ("
    + trial.fallbackReason()
    + "): the fast run would be a second plain run, with no fast reactor",
)


def test_suitesAreTheContract() -> None:
    """
    L{SUITES} covers exactly the suites of the contract.
    """
    assert sorted(SUITES) == sorted(trial.CONTRACT_SUITES)


@pytest.fixture(scope="module", params=sorted(SUITES))
def comparison(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> trial.Comparison:
    """
    Run one suite plain and fast, once for all the tests of this module, in
    a folder of its own (the runs keep trial's C{_trial_temp} in their
    working directory).
    """
    folder = tmp_path_factory.mktemp("trial")
    return trial.compareSet([request.param], timeout=TIMEOUT, cwd=str(folder))


@pytest.mark.upstream
@requiresAccelerated
def test_noRegressions(comparison: trial.Comparison) -> None:
    """
    Every test that passes plain passes fast, every fast-reactor twin does as
    well as its Twisted twin, and no test fails fast that did not fail the
    same way plain.
    """
    report = comparison.format()
    assert comparison.problems == [], report
    assert comparison.regressions == [], report


@pytest.mark.upstream
@requiresAccelerated
def test_enoughTestsRan(comparison: trial.Comparison) -> None:
    """
    The suite really ran: it has at least as many tests, and as many
    fast-reactor twins, as L{SUITES} says, and the fast run ran every plain
    test.
    """
    (module,) = comparison.modules
    leastTests, leastTwins = SUITES[module]
    report = comparison.format()
    plainTests, fastTests = comparison.plain.tests, comparison.fast.tests
    assert len(plainTests) >= leastTests, report
    assert set(plainTests) <= set(fastTests), report
    assert len(comparison.fast.twins) >= leastTwins, report
    assert len(fastTests) == len(plainTests) + len(comparison.fast.twins), report


@pytest.mark.upstream
@requiresAccelerated
def test_fastClassesInPlace(comparison: trial.Comparison) -> None:
    """
    The fast run had the fast classes at Twisted's names from before its tests
    ran to after, and the plain run had Twisted's own.
    """
    fast, plain = _data(comparison)
    assert fast["mode"] == "fast" and fast["accelerated"] is True
    assert fast["lateModules"] == []
    for name in trial.WATCHED_NAMES:
        assert name in fast["patched"]
        assert fast["classes"][name]["fast"], fast["classes"][name]
        assert fast["classesAtEnd"][name]["fast"], fast["classesAtEnd"][name]
        assert not plain["classes"][name]["fast"], plain["classes"][name]
    assert plain["patched"] == []


@pytest.mark.upstream
@requiresAccelerated
def test_fastGlobalReactor(comparison: trial.Comparison) -> None:
    """
    The fast run had the fast reactor as its global reactor from before its
    tests ran to after, and said so; the plain run had Twisted's own.
    """
    fast, plain = _data(comparison)
    assert fast["globalReactor"]["fast"], fast["globalReactor"]
    assert fast["globalReactorAtEnd"]["fast"], fast["globalReactorAtEnd"]
    assert "(fast)" in comparison.fast.banner, comparison.fast.banner
    assert plain["globalReactor"] is None
    assert not plain["globalReactorAtEnd"]["fast"], plain["globalReactorAtEnd"]


@pytest.mark.upstream
@requiresAccelerated
def test_fastReactorsBuilt(comparison: trial.Comparison) -> None:
    """
    The fast run added the fast reactors to those C{ReactorBuilder} builds,
    the plain run did not.
    """
    fast, plain = _data(comparison)
    assert fast["fastReactors"], comparison.format()
    assert set(fast["fastReactors"]) <= set(trial.FAST_REACTOR_TWINS)
    assert plain["fastReactors"] == []


def _data(comparison: trial.Comparison) -> tuple[dict[str, Any], dict[str, Any]]:
    """
    @return: what the fast and the plain run recorded.
    """
    fast, plain = comparison.fast.data, comparison.plain.data
    assert fast is not None and plain is not None, comparison.format()
    return fast, plain


@pytest.mark.parametrize(
    "plain, fast, kind",
    [
        (trial.PASS, trial.PASS, None),
        (trial.FAIL, trial.FAIL, None),
        (trial.PASS, trial.FAIL, trial.REGRESSION),
        (trial.PASS, trial.SKIP, trial.REGRESSION),
        (trial.PASS, None, trial.REGRESSION),
        (trial.SKIP, trial.ERROR, trial.REGRESSION),
        (None, trial.ERROR, trial.REGRESSION),
        (trial.FAIL, trial.ERROR, trial.REGRESSION),
        (trial.FAIL, trial.PASS, trial.IMPROVEMENT),
        (trial.SKIP, trial.PASS, trial.CHANGED),
        (trial.EXPECTED_FAILURE, trial.UNEXPECTED_SUCCESS, trial.CHANGED),
        (None, trial.PASS, trial.CHANGED),
    ],
)
def test_classify(plain: str | None, fast: str | None, kind: str | None) -> None:
    """
    L{trial.classify} counts as a regression any test that passes plain but
    not fast, or fails fast other than it failed plain.
    """
    assert trial.classify(plain, fast) == kind


_MODULE = "twisted.internet.test.test_core"


@pytest.mark.parametrize("reactor", ["EPollReactor", "PollReactor", "SelectReactor"])
def test_twins(reactor: str) -> None:
    """
    L{trial.plainTwin} and L{trial.fastTwin} map a fast-reactor test to its
    Twisted twin and back.
    """
    fastId = f"{_MODULE}.SystemEventTestsBuilder_Fast{reactor}Tests.test_x"
    plainId = f"{_MODULE}.SystemEventTestsBuilder_{reactor}Tests.test_x"
    assert trial.plainTwin(fastId) == plainId
    assert trial.fastTwin(plainId, trial.FAST_REACTOR_TWINS) == fastId


@pytest.mark.parametrize(
    "testId",
    [
        f"{_MODULE}.SystemEventTestsBuilder_EPollReactorTests.test_x",
        f"{_MODULE}.SystemEventTestsBuilder_ThreadedSelectReactorTests.test_x",
        f"{_MODULE}.SystemEventTestsBuilder_AsyncioSelectorReactorTests.test_x",
        "twisted.test.test_task.ClockTests.test_x",
        "not a test id",
    ],
)
def test_notFastTwins(testId: str) -> None:
    """
    Tests of Twisted's reactors, and other tests, are not fast-reactor twins;
    only tests of the reactors Twisted's fast ones are twins of have one.
    """
    assert trial.plainTwin(testId) is None
    fastId = trial.fastTwin(testId, trial.FAST_REACTOR_TWINS)
    assert fastId is None or testId.endswith("_EPollReactorTests.test_x")
    assert trial.fastTwin(testId, []) is None


def _run(mode: str, tests: dict[str, str], fastReactors: list[str]) -> trial.RunResult:
    """
    @return: a run that recorded C{tests}.
    """
    data = {"tests": tests, "details": {}, "fastReactors": fastReactors}
    return trial.RunResult(mode, (_MODULE,), 0, 0.0, data, "")


def test_diffRunsJudgesTwins() -> None:
    """
    L{trial.diffRuns} judges a fast-reactor twin against its Twisted twin of
    the plain run, and counts a twin the fast run should have run but did not
    as a regression.
    """
    epoll = f"{_MODULE}.B_EPollReactorTests"
    fastEpoll = f"{_MODULE}.B_FastEPollReactorTests"
    select = f"{_MODULE}.B_SelectReactorTests"
    fastSelect = f"{_MODULE}.B_FastSelectReactorTests"
    plainTests = {
        f"{epoll}.test_a": trial.PASS,
        f"{epoll}.test_b": trial.PASS,
        f"{select}.test_a": trial.SKIP,
    }
    fastTests = {
        **plainTests,
        f"{fastEpoll}.test_a": trial.PASS,
        f"{fastSelect}.test_a": trial.ERROR,
    }
    plain = _run("plain", plainTests, [])
    fast = _run("fast", fastTests, list(trial.FAST_REACTOR_TWINS))
    found = {
        d.testId: (d.kind, d.plain, d.fast, d.twin) for d in trial.diffRuns(plain, fast)
    }
    assert found == {
        f"{fastEpoll}.test_b": (trial.REGRESSION, trial.PASS, None, f"{epoll}.test_b"),
        f"{fastSelect}.test_a": (
            trial.REGRESSION,
            trial.SKIP,
            trial.ERROR,
            f"{select}.test_a",
        ),
    }
    assert fast.twins == [f"{fastEpoll}.test_a", f"{fastSelect}.test_a"]


def test_parseArguments() -> None:
    """
    The runner's own options are taken out wherever they are; everything else
    goes to trial, in order.
    """
    args = trial.parseArguments(
        ["--reporter", "text", "--json", "out.json", "--plain", "m1", "--fast-arg=-x"]
    )
    assert args.plain and not args.compare
    assert args.jsonPath == "out.json"
    assert args.fastArgs == ["-x"]
    assert args.trialArgs == ["--reporter", "text", "m1"]
