"""
Shared fixtures for the twisted-fast test suite.

Most tests take the C{impl} fixture, parametrised over the implementations
under test:

  - C{c}: the C extension C{twisted_fast._speedups} (skipped, with the
    reason, when it is not in use or C{--no-c-extensions} is given);
  - C{twisted}: Twisted's own C{task.Clock} and C{base.DelayedCall}, which
    define the behaviour the C twin must reproduce.

Tests of the deliberate differences of the C classes take C{cimpl} instead,
which is the C{c} implementation alone, and C{twistedImpl} to show what
Twisted does instead.

Hypothesis profiles: C{ci} (the default, modest) and C{fuzz} (many examples),
selected with C{TWISTED_FAST_HYPOTHESIS_PROFILE=fuzz}.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from twisted_fast import _compat

# --- hypothesis profiles ---------------------------------------------------

#: Environment variable that selects the hypothesis profile.
PROFILE_ENV = "TWISTED_FAST_HYPOTHESIS_PROFILE"

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get(PROFILE_ENV, "") or "ci")


# --- command line and markers ------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    """
    Add C{--no-c-extensions}, which skips every test of the C extension.
    """
    parser.addoption(
        "--no-c-extensions",
        action="store_true",
        default=False,
        help="skip the tests of the C extension (implementation id 'c')",
    )


def pytest_configure(config: pytest.Config) -> None:
    """
    Register the markers this suite uses (pyproject.toml registers them too;
    see tests/PYTEST_CONFIG_NOTES.txt).
    """
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


# --- implementations ---------------------------------------------------------


@dataclass(frozen=True)
class Implementation:
    """
    One implementation of the timer classes.

    @ivar name: C{"c"} or C{"twisted"}.
    @ivar Clock: the C{task.Clock} class of this implementation.
    @ivar DelayedCall: the C{base.DelayedCall} class of this implementation.
    """

    name: str
    Clock: Any
    DelayedCall: Any

    @property
    def isC(self) -> bool:
        """
        Whether this is the C extension.
        """
        return self.name == "c"


TWISTED = Implementation("twisted", _compat.TwistedClock, _compat.TwistedDelayedCall)


def cSkipReason(config: pytest.Config) -> str | None:
    """
    Say why the C extension cannot be tested, or C{None} if it can.
    """
    if config.getoption("no_c_extensions"):
        return "C extension tests disabled by --no-c-extensions"
    if not _compat.ACCELERATED:
        flag = os.environ.get("TWISTED_FAST_NO_EXTENSIONS", "")
        if flag not in ("", "0"):
            why = f"TWISTED_FAST_NO_EXTENSIONS={flag!r} is set"
        else:
            why = "twisted_fast._speedups is not built or failed to import"
        return f"C extension not in use (fallback mode: {why})"
    return None


def cImplementation(config: pytest.Config) -> Implementation:
    """
    The C implementation, or skip the calling test.
    """
    reason = cSkipReason(config)
    if reason is not None:
        pytest.skip(reason)
    assert _compat.speedups is not None
    return Implementation("c", _compat.speedups.Clock, _compat.speedups.DelayedCall)


@pytest.fixture(scope="session", params=["c", "twisted"])
def impl(request: pytest.FixtureRequest) -> Implementation:
    """
    Each implementation in turn: C{c} (the extension) and C{twisted}.
    """
    if request.param == "c":
        return cImplementation(request.config)
    return TWISTED


@pytest.fixture(scope="session", params=["c"])
def cimpl(request: pytest.FixtureRequest) -> Implementation:
    """
    The C implementation alone, for its deliberate differences from Twisted.
    """
    return cImplementation(request.config)


@pytest.fixture(scope="session")
def twistedImpl() -> Implementation:
    """
    Twisted's own implementation, to show how it differs from the C one.
    """
    return TWISTED
