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

Tests of C{LoopingCall} take C{loopImpl}: the same implementations, except
that C{c} is skipped while the extension has no C{LoopingCall}.

Tests of C{Cooperator} and friends take C{coopImpl}: the same implementations,
except that C{c} is skipped while the extension lacks any of C{Cooperator},
C{CooperativeTask}, C{cooperate} and C{coiterate}.

Hypothesis profiles: C{ci} (the default, modest), C{fuzz} (many examples) and
C{leakhunt} (few, derandomized, for C{.ci/leakhunt.py}), selected with
C{TWISTED_FAST_HYPOTHESIS_PROFILE}.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from twisted.internet import task as _twistedTask
from twisted.internet.task import LoopingCall as TwistedLoopingCall
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
# For .ci/leakhunt.py, which runs each test module several times in one
# process: the same examples each time, and no example database.
settings.register_profile(
    "leakhunt",
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get(PROFILE_ENV, "") or "ci")

#: Environment variable that overrides the profile's number of examples
#: (.ci/fuzz.py --examples).
EXAMPLES_ENV = "TWISTED_FAST_HYPOTHESIS_EXAMPLES"

if os.environ.get(EXAMPLES_ENV):
    settings.register_profile(
        "examples",
        parent=settings.get_profile(os.environ.get(PROFILE_ENV, "") or "ci"),
        max_examples=int(os.environ[EXAMPLES_ENV]),
    )
    settings.load_profile("examples")


# --- memory measured in a child process -------------------------------------------


def withoutAsanQuarantine(env: dict[str, str]) -> dict[str, str]:
    """
    Prepare the environment of a child process that measures its resident
    memory: under AddressSanitizer (C{make asan} preloads it), turn off the
    quarantine in which ASan keeps up to 256 MB of freed memory to catch
    late uses, which the child would read as growth.  Its other checks stay.

    @return: C{env}, changed in place.
    """
    if "libasan" in env.get("LD_PRELOAD", ""):
        options = [env.get("ASAN_OPTIONS", ""), "quarantine_size_mb=0"]
        env["ASAN_OPTIONS"] = ":".join(option for option in options if option)
    return env


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
    Register the markers this suite uses.  pyproject.toml registers them
    too; this keeps --strict-markers happy when pytest runs the tests
    without the project's configuration (a copy of tests/ on its own).
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
    @ivar LoopingCall: the C{task.LoopingCall} class of this implementation,
        or C{None} if it has none (yet).
    """

    name: str
    Clock: Any
    DelayedCall: Any
    LoopingCall: Any = None

    @property
    def isC(self) -> bool:
        """
        Whether this is the C extension.
        """
        return self.name == "c"

    # The cooperative-task names: Twisted's for "twisted", the extension's
    # (or None while it has none) for "c".

    @property
    def Cooperator(self) -> Any:
        """
        The C{task.Cooperator} class of this implementation, or C{None}.
        """
        return self._cooperatorName("Cooperator")

    @property
    def CooperativeTask(self) -> Any:
        """
        The C{task.CooperativeTask} class of this implementation, or C{None}.
        """
        return self._cooperatorName("CooperativeTask")

    @property
    def cooperate(self) -> Any:
        """
        The C{task.cooperate} function of this implementation, or C{None}.
        """
        return self._cooperatorName("cooperate")

    @property
    def coiterate(self) -> Any:
        """
        The C{task.coiterate} function of this implementation, or C{None}.
        """
        return self._cooperatorName("coiterate")

    def _cooperatorName(self, name: str) -> Any:
        """
        One of C{COOPERATOR_NAMES} in this implementation, or C{None}.
        """
        if self.isC:
            if not _compat.ACCELERATED:
                return None
            from twisted_fast import task as fastTask

            return getattr(fastTask, name)
        return TWISTED_COOPERATOR[name]


TWISTED = Implementation(
    "twisted", _compat.TwistedClock, _compat.TwistedDelayedCall, TwistedLoopingCall
)

#: The names of the cooperative-task machinery.
COOPERATOR_NAMES = ("Cooperator", "CooperativeTask", "cooperate", "coiterate")

#: Twisted's own, captured before anything can patch C{twisted.internet.task}.
TWISTED_COOPERATOR = {name: getattr(_twistedTask, name) for name in COOPERATOR_NAMES}


def cSkipReason(config: pytest.Config) -> str | None:
    """
    Say why the C extension cannot be tested, or C{None} if it can.
    """
    if config.getoption("no_c_extensions"):
        return "C extension tests disabled by --no-c-extensions"
    if not _compat.ACCELERATED:
        return f"C extension not in use (fallback mode: {_compat.FALLBACK_REASON})"
    return None


def cImplementation(config: pytest.Config) -> Implementation:
    """
    The C implementation, or skip the calling test.
    """
    reason = cSkipReason(config)
    if reason is not None:
        pytest.skip(reason)
    assert _compat.speedups is not None
    return Implementation(
        "c",
        _compat.speedups.Clock,
        _compat.speedups.DelayedCall,
        _compat.LoopingCall,
    )


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


@pytest.fixture(scope="session")
def loopImpl(impl: Implementation) -> Implementation:
    """
    Each implementation in turn, for the tests of C{LoopingCall}; the C{c} one
    is skipped while the extension has no C{LoopingCall}.
    """
    if impl.LoopingCall is None:
        pytest.skip("C LoopingCall not implemented yet")
    return impl


@pytest.fixture(scope="session")
def coopImpl(impl: Implementation) -> Implementation:
    """
    Each implementation in turn, for the tests of C{Cooperator} and friends;
    the C{c} one is skipped while the extension lacks any of them.
    """
    if any(getattr(impl, name) is None for name in COOPERATOR_NAMES):
        pytest.skip("C Cooperator not implemented yet")
    return impl
