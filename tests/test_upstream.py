"""
Twisted's own suites for C{Clock} and C{DelayedCall} pass with the fast
classes no worse than without them, test for test.

Each suite runs twice in subprocesses, through L{twisted_fast.trial}: plain,
then with L{twisted_fast.install} in effect.  The comparison needs the C
extension (in fallback mode both runs would use Twisted's classes), so it is
skipped without it.  The tests that run the suites are marked C{upstream}.
"""

from __future__ import annotations

import pytest

import twisted_fast
from twisted_fast import trial

#: The suites run here, and the fewest tests a healthy run of each has.
SUITES: dict[str, int] = {
    "twisted.test.test_task": 50,
    "twisted.internet.test.test_base": 20,
}

#: Seconds before a run is killed; both suites take about a second.
TIMEOUT = 300.0

requiresAccelerated = pytest.mark.skipif(
    not twisted_fast.ACCELERATED,
    reason="fallback mode ("
    + trial.fallbackReason()
    + "): the fast run would be a second plain run",
)


@pytest.fixture(scope="module", params=sorted(SUITES))
def comparison(request: pytest.FixtureRequest) -> trial.Comparison:
    """
    Run one suite plain and fast, once for all the tests of this module.
    """
    return trial.compareSet([request.param], timeout=TIMEOUT)


@pytest.mark.upstream
@requiresAccelerated
def test_noRegressions(comparison: trial.Comparison) -> None:
    """
    Every test that passes plain passes fast, and no test fails fast that did
    not fail the same way plain.
    """
    report = comparison.format()
    assert comparison.problems == [], report
    assert comparison.regressions == [], report


@pytest.mark.upstream
@requiresAccelerated
def test_enoughTestsRan(comparison: trial.Comparison) -> None:
    """
    The suite really ran: it has at least as many tests as L{SUITES} says.
    """
    (module,) = comparison.modules
    assert len(comparison.plain.tests) >= SUITES[module], comparison.format()
    assert len(comparison.fast.tests) >= SUITES[module], comparison.format()


@pytest.mark.upstream
@requiresAccelerated
def test_fastClassesInPlace(comparison: trial.Comparison) -> None:
    """
    The fast run had the fast classes at Twisted's names from before its tests
    ran to after, and the plain run had Twisted's own.
    """
    fast, plain = comparison.fast.data, comparison.plain.data
    assert fast is not None and plain is not None, comparison.format()
    assert fast["mode"] == "fast" and fast["accelerated"] is True
    assert fast["lateModules"] == []
    for name in trial.WATCHED_NAMES:
        assert name in fast["patched"]
        assert fast["classes"][name]["fast"], fast["classes"][name]
        assert fast["classesAtEnd"][name]["fast"], fast["classesAtEnd"][name]
        assert not plain["classes"][name]["fast"], plain["classes"][name]
    assert plain["patched"] == []


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
