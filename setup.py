"""
Build script for twisted-fast: one optional C extension, twisted_fast._speedups.

The extension is optional, as in markupsafe and multidict: when it cannot be
built (no compiler, no Python headers, an interpreter other than CPython) the
install still succeeds, says so loudly, and the package runs on Twisted's own
classes.  Environment variables:

- TWISTED_FAST_NO_EXTENSIONS=1: do not build the extension at all.
- TWISTED_FAST_DEBUG=1: debug build (-O0 -g3, assertions, live-object counters).
- TWISTED_FAST_WERROR=1: turn compiler warnings into errors (used by CI).
- TWISTED_FAST_SANITIZE=1: build with AddressSanitizer and UBSan.
- TWISTED_FAST_REQUIRE_EXTENSION=1: a failed build fails, instead of falling
  back (release wheels: see [tool.cibuildwheel] in pyproject.toml).
- TWISTED_FAST_NO_STATS=1: leave the always-on timer statistics out
  (-DTF_NO_STATS), only to measure what they cost; twisted_fast.timerStats()
  then raises StatsUnavailable.
"""

import os
import platform
import sys
from glob import glob

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _flag(name):
    return os.environ.get(name, "") not in ("", "0")


def _compile_args():
    # Hidden visibility: only PyInit__speedups is exported, so calls between
    # the extension's own files are direct, not through the PLT.
    args = [
        "-std=c11",
        "-Wall",
        "-Wextra",
        "-Wno-missing-field-initializers",
        "-fvisibility=hidden",
    ]
    if _flag("TWISTED_FAST_WERROR"):
        args.append("-Werror")
    if _flag("TWISTED_FAST_DEBUG"):
        args += ["-O0", "-g3", "-UNDEBUG", "-DTF_DEBUG=1"]
    if _flag("TWISTED_FAST_SANITIZE"):
        args += ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g"]
    if _flag("TWISTED_FAST_NO_STATS"):
        args.append("-DTF_NO_STATS=1")
    return args


def _link_args():
    if _flag("TWISTED_FAST_SANITIZE"):
        return ["-fsanitize=address,undefined"]
    return []


class OptionalBuildExt(build_ext):
    """
    Build the extension if possible; if not, explain and carry on without it.
    """

    _failed = False

    def run(self):
        try:
            super().run()
        except Exception as e:  # distutils raises several unrelated types
            self._skipped(e)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as e:
            self._skipped(e)

    def copy_extensions_to_source(self):
        # An in-place build has nothing to copy once the build failed.
        if not self._failed:
            super().copy_extensions_to_source()

    def _skipped(self, error):
        if _flag("TWISTED_FAST_WERROR") or _flag("TWISTED_FAST_REQUIRE_EXTENSION"):
            raise error
        if not self._failed:
            self._failed = True
            self._explain(error)

    @staticmethod
    def _explain(error):
        bar = "*" * 75
        sys.stderr.write(
            f"\n{bar}\n"
            f"WARNING: the C extension twisted_fast._speedups could not be built:\n"
            f"  {error}\n"
            f"twisted-fast is installed in fallback mode: it works, using Twisted's\n"
            f"own classes, and twisted_fast.ACCELERATED is False.\n{bar}\n\n"
        )


def _extensions():
    if _flag("TWISTED_FAST_NO_EXTENSIONS"):
        return []
    if platform.python_implementation() != "CPython":
        return []
    return [
        Extension(
            "twisted_fast._speedups",
            sources=sorted(glob("src/*.c")),
            depends=sorted(glob("src/*.h")),
            extra_compile_args=_compile_args(),
            extra_link_args=_link_args(),
        )
    ]


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
