"""
What the build (C{setup.py}) and the package at run time (L{twisted_fast._compat})
share: how a C{TWISTED_FAST_*} environment switch is read, and the file that
records a failed build of the C extension.

C{setup.py} cannot import the package before it is built (and Twisted may not
be installed in the build's environment), so it loads this file by its path:
keep it to the standard library, with nothing imported from the package.
"""

from __future__ import annotations

#: The spellings of a switch that is off (compared stripped and lower-cased).
#: Unset counts as off too.
OFF = frozenset({"", "0", "false", "no", "off"})

#: The spellings of a switch that is on (compared stripped and lower-cased).
ON = frozenset({"1", "true", "yes", "on"})

#: Skip the C extension: not built at install time, not imported at run time.
NO_EXTENSIONS = "TWISTED_FAST_NO_EXTENSIONS"

#: The file that C{setup.py} writes beside the C extension when the extension
#: could not be built (and removes when it could): the first lines of what
#: went wrong, which the package shows as the reason for its fallback mode.
BUILD_FAILED = "_build_failed.txt"

#: At most this many lines of the build failure are kept, each cut to
#: L{BUILD_FAILED_WIDTH} characters.
BUILD_FAILED_LINES = 4
BUILD_FAILED_WIDTH = 300


def readSwitch(value: str | None) -> tuple[bool, bool]:
    """
    Read the value of a switch from the environment.

    A value that is neither in L{ON} nor in L{OFF} (C{"2"}, C{"y"},
    C{"enabled"}) counts as on, as any non-empty value but C{"0"} did before
    the spellings were defined: whoever set the variable meant something,
    most likely to turn it on, and for C{TWISTED_FAST_NO_EXTENSIONS} "on" is
    the side that always works.  The caller says that the value was not
    understood.

    @param value: the variable's value, or L{None} when it is not set.
    @return: whether the switch is on, and whether C{value} is one of the
        recognised spellings.
    """
    if value is None:
        return False, True
    word = value.strip().lower()
    if word in OFF:
        return False, True
    return True, word in ON


def unrecognised(name: str, value: str) -> str:
    """
    @return: the complaint about a value of switch C{name} that L{readSwitch}
        did not recognise.
    """
    return (
        f"{name}={value!r}, which is not a recognised value (1, true, yes, on /"
        " 0, false, no, off): read as set"
    )


def summariseBuildFailure(error: str, output: str) -> str:
    """
    The text of L{BUILD_FAILED}: the compiler's error lines (or, when it
    printed none, its first lines) followed by the build's own error.

    @param error: the exception the build raised, as text.
    @param output: what the failing command (compiler or linker) printed.
    """
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()] or lines
    kept = [*errors[: BUILD_FAILED_LINES - 1], error.strip()]
    return "".join(f"{line[:BUILD_FAILED_WIDTH]}\n" for line in kept if line)


def readBuildFailure(text: str) -> str:
    """
    @return: the L{BUILD_FAILED} text C{text} on one line, as the package
        gives it in its reason for the fallback mode.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines[:BUILD_FAILED_LINES]) or "(no details recorded)"
