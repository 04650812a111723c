"""
Build script for twisted-fast: one optional C extension, twisted_fast._speedups.

The extension is optional, as in markupsafe and multidict: when it cannot be
built (no compiler, no Python headers, an interpreter other than CPython) the
install still succeeds, says so loudly, and the package runs on Twisted's own
classes.  Environment variables, each read as twisted_fast/_switches.py says
(1, true, yes, on; 0, false, no, off or unset; anything else counts as set,
with a warning):

- TWISTED_FAST_NO_EXTENSIONS=1: do not build the extension at all.
- TWISTED_FAST_DEBUG=1: debug build (-O0 -g3, assertions, live-object counters).
- TWISTED_FAST_WERROR=1: turn compiler warnings into errors (used by CI).
- TWISTED_FAST_SANITIZE=1: build with AddressSanitizer and UBSan.
- TWISTED_FAST_REQUIRE_EXTENSION=1: a failed build fails, instead of falling
  back (release wheels: see [tool.cibuildwheel] in pyproject.toml).
- TWISTED_FAST_NO_STATS=1: leave the always-on timer statistics out
  (-DTF_NO_STATS), only to measure what they cost; twisted_fast.timerStats()
  then raises StatsUnavailable.

A build that falls back leaves twisted_fast/_build_failed.txt beside where the
extension would be (so in the wheel), with the compiler's error: pip shows a
build's output only with -v, so the package gives it as the reason for its
fallback mode (twisted_fast.FALLBACK_REASON).  A build that succeeds removes
it.
"""

import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
from glob import glob

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _loadSwitches():
    """
    Load twisted_fast/_switches.py by its path: the package itself cannot be
    imported before it is built.
    """
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "twisted_fast", "_switches.py")
    spec = importlib.util.spec_from_file_location("_twisted_fast_switches", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_switches = _loadSwitches()
_complained = set()


def _flag(name):
    value = os.environ.get(name)
    on, recognised = _switches.readSwitch(value)
    if not recognised and name not in _complained:
        _complained.add(name)
        sys.stderr.write(f"WARNING: {_switches.unrecognised(name, value)}\n")
    return on


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
    Build the extension if possible; if not, explain and carry on without it,
    and leave the record of why beside where the extension would be.
    """

    _failed = False
    # The build's failure, as twisted_fast/_build_failed.txt holds it.
    _failure = ""
    # What the compiler printed for the last command that failed.
    _commandOutput = ""

    def run(self):
        # build_ext.run() builds into build_lib with inplace cleared, then
        # copies to the source tree: remember where the record goes.
        inplace = self.inplace
        try:
            super().run()
        except Exception as e:  # distutils raises several unrelated types
            self._skipped(e)
        self._record(inplace)

    def build_extension(self, ext):
        self._captureCommandOutput()
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
            self._failure = _switches.summariseBuildFailure(
                _describe(error), self._commandOutput
            )
            self._explain(self._failure)

    def _record(self, inplace):
        """
        Write the record of a failed build where the extension would be (in
        the build directory, which becomes the wheel, and in the source tree
        for an in-place or editable build); remove a stale one when the build
        succeeded.
        """
        directories = [os.path.join(self.build_lib, "twisted_fast")]
        if inplace:
            buildPy = self.get_finalized_command("build_py")
            directories.append(buildPy.get_package_dir("twisted_fast"))
        for directory in directories:
            path = os.path.join(directory, _switches.BUILD_FAILED)
            if self._failed:
                os.makedirs(directory, exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(self._failure)
            elif os.path.exists(path):
                os.remove(path)

    def _captureCommandOutput(self):
        """
        Keep what each compiler and linker command prints, to give the
        compiler's own error (not only "command 'gcc' failed with exit code
        1") as the reason for the fallback.  The output is captured at the
        file-descriptor level, as the compiler is a child process, then
        written to stderr as before.
        """
        spawn = self.compiler.spawn
        if getattr(spawn, "capturesOutput", False):
            return

        def capturing(cmd, **kwargs):
            sys.stdout.flush()
            sys.stderr.flush()
            try:
                saved = os.dup(1), os.dup(2)
            except OSError:  # no stdout or stderr to capture
                return spawn(cmd, **kwargs)
            failed = True
            with tempfile.TemporaryFile() as output:
                os.dup2(output.fileno(), 1)
                os.dup2(output.fileno(), 2)
                try:
                    spawn(cmd, **kwargs)
                    failed = False
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    for fd, original in zip((1, 2), saved):
                        os.dup2(original, fd)
                        os.close(original)
                    output.seek(0)
                    text = output.read()
                    _writeAll(2, text)
                    if failed:
                        self._commandOutput = text.decode(errors="replace")

        capturing.capturesOutput = True
        self.compiler.spawn = capturing

    @staticmethod
    def _explain(failure):
        bar = "*" * 75
        details = "".join(f"  {line}\n" for line in failure.splitlines())
        sys.stderr.write(
            f"\n{bar}\n"
            f"WARNING: the C extension twisted_fast._speedups could not be built:\n"
            f"{details}"
            f"twisted-fast is installed in fallback mode: it works, using Twisted's\n"
            f"own classes, and twisted_fast.ACCELERATED is False.  The reason is kept\n"
            f"in twisted_fast/{_switches.BUILD_FAILED}, and shown by\n"
            f"`python -m twisted_fast` and twisted_fast.FALLBACK_REASON.\n{bar}\n\n"
        )


def _describe(error):
    """
    The build's error in a line: for a command that failed, its program and
    exit code (some setuptools releases give the whole command line).
    """
    cause = error
    while cause is not None:
        if isinstance(cause, subprocess.CalledProcessError):
            command = cause.cmd
            program = command[0] if isinstance(command, (list, tuple)) and command else command
            return f"command {str(program)!r} failed with exit code {cause.returncode}"
        cause = cause.__cause__ or cause.__context__
    return str(error)


def _writeAll(fd, data):
    while data:
        data = data[os.write(fd, data):]


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
