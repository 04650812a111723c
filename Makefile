# twisted-fast developer commands (uvloop-style).
#
#   make bench          the side-by-side benchmark, pure Twisted vs twisted-fast
#   make test           every test: C build with -Werror, suite on C and on the
#                       fallback, Twisted's own suites, oldest supported Twisted,
#                       and the suite on every supported CPython (3.11 to 3.15)
#   make test-3.12      the suite on one more CPython (also 3.13, 3.14, 3.15;
#                       3.14 and 3.15 run in a Debian testing root: needs root)
#   make debug          rebuild the extension as a debug build (-O0 -g3, counters)
#   make asan           the test suite and Twisted's suites on an AddressSanitizer +
#                       UBSan build of the extension (in build-asan/, not in place)
#   make valgrind       the test suite under valgrind memcheck (slow)
#   make dist           the sdist and the wheel in dist/, checked by twine
#   make leaks          the leak hunter: each test module run 3+3 times in one
#                       process, on the debug build (.ci/leakhunt.py)
#   make scale          10**7 pending timers: RSS per timer, O(log n) costs,
#                       10**7 schedule/cancel cycles with RSS flat
#   make fuzz           the differential property tests with 20,000 examples
#                       each (.ci/fuzz.py)
#   make clean
#
# Each target sets itself up: a virtualenv with pinned dependencies, then the
# extension built in place.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
OLDEST_VENV ?= .venv-oldest

# The other CPythons: 3.12 and 3.13 from pyenv, 3.14 and 3.15 from Debian
# testing, in the root that .ci/testing-root keeps (outside the clone).
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)
PYTHON_3.12 ?= $(PYENV_ROOT)/versions/3.12.1/bin/python3
PYTHON_3.13 ?= $(PYENV_ROOT)/versions/3.13.0/bin/python3
TESTING_ROOT := .ci/testing-root
# What a run on another CPython leaves out: the release artifacts are built
# and checked once, by the 3.11 run.
OTHER_VERSION_MARKS ?= not release

SOURCES := $(wildcard src/*.c src/*.h)

ASAN_DIR := build-asan
ASAN_PRELOAD = $(shell gcc -print-file-name=libasan.so):$(shell gcc -print-file-name=libubsan.so)
ASAN_ENV = LD_PRELOAD=$(ASAN_PRELOAD) ASAN_OPTIONS=detect_leaks=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 PYTHONPATH=$(CURDIR)/$(ASAN_DIR)

.PHONY: test test-main test-fallback test-oldest test-versions test-version \
	test-3.12 test-3.13 test-3.14 test-3.15 test-debian-testing \
	bench debug build asan valgrind dist leaks scale fuzz clean

$(VENV)/.installed: requirements/test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements/test.txt
	touch $@

$(OLDEST_VENV)/.installed: requirements/test-oldest.txt
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/python -m pip install -q -r requirements/test-oldest.txt
	touch $@

# make bench: a virtualenv per interpreter (.venv-bench-3.11, or
# .venv-bench-3.12 with PYTHON=python3.12) holding requirements/bench.txt
# only, and the extension built in place only when src/*.[ch] or setup.py
# changed, or when something else rebuilt or removed the .so since.
BENCH_PYINFO := $(shell $(PYTHON) -c 'import sys, sysconfig; print("%d.%d" % sys.version_info[:2], sysconfig.get_config_var("EXT_SUFFIX"))' 2>/dev/null)
BENCH_VENV := .venv-bench-$(word 1,$(BENCH_PYINFO))
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_SO := twisted_fast/_speedups$(word 2,$(BENCH_PYINFO))
BENCH_BUILT := build/.bench-built-$(word 1,$(BENCH_PYINFO))

$(BENCH_VENV)/.bench-installed: requirements/bench.txt
	@test -n "$(BENCH_PYINFO)" || { echo "make bench: PYTHON=$(PYTHON) does not run"; exit 1; }
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install -q -r requirements/bench.txt
	touch $@

# --force only once make has decided to build: setuptools' own check ignores
# setup.py and the flags, so a debug build left in place looks current to it.
# The stamp is newer than the .so it built: a later `make debug` or a removed
# .so (the empty rule below) brings the release build back.
$(BENCH_BUILT): $(SOURCES) setup.py $(BENCH_SO) $(BENCH_VENV)/.bench-installed
	$(BENCH_PY) setup.py -q build_ext --inplace --force
	mkdir -p build && touch $@

$(BENCH_SO):

build: $(VENV)/.installed
	TWISTED_FAST_WERROR=1 $(PY) setup.py -q build_ext --inplace --force

# Two runs at a time (the machine has two cores), each run's output printed
# whole when it ends; the two longest first.  The 3.11 build comes first:
# three runs share it.
test: build
	$(MAKE) -j2 --output-sync=recurse BUILT=1 \
		test-main test-debian-testing test-fallback test-oldest test-3.12 test-3.13

# Run alone, a run builds first; under `make test` (BUILT=1) the build is
# done, and must not be redone under a run that has it loaded.
NEEDS_BUILD = $(if $(BUILT),,build)

# The release artifacts (marker "release": sdist and wheel built, checked and
# installed in fresh virtualenvs) do not depend on the mode of the run that
# builds them: the fallback run leaves them to the first one.
test-main: $(NEEDS_BUILD)
	@echo "== CPython 3.11, C extension: the whole suite"
	$(PY) -m pytest -q -p no:cacheprovider

test-fallback: $(NEEDS_BUILD)
	@echo "== CPython 3.11, fallback mode (TWISTED_FAST_NO_EXTENSIONS=1)"
	TWISTED_FAST_NO_EXTENSIONS=1 $(PY) -m pytest -q -p no:cacheprovider \
		-m "not upstream and not release"

test-oldest: $(NEEDS_BUILD) $(OLDEST_VENV)/.installed
	@echo "== CPython 3.11, the oldest supported Twisted (requirements/test-oldest.txt)"
	$(OLDEST_VENV)/bin/python -m pytest -q -p no:cacheprovider

test-versions: test-3.12 test-3.13 test-debian-testing

# The suite on PYTHON, in VENV, with the pinned test requirements and the
# -Werror build; FALLBACK=1 runs it in fallback mode as well.  An interpreter
# that is missing fails the run: a version is never skipped in silence.
test-version:
	@command -v "$(PYTHON)" >/dev/null || { \
		echo "make: $(PYTHON) not found: this CPython is not on the machine" >&2; exit 1; }
	@echo "== $$($(PYTHON) -VV | head -n1), C extension: the suite (-m '$(OTHER_VERSION_MARKS)')"
	$(MAKE) --no-print-directory build PYTHON=$(PYTHON) VENV=$(VENV)
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider -m "$(OTHER_VERSION_MARKS)"
ifeq ($(FALLBACK),1)
	@echo "== $$($(PYTHON) -VV | head -n1), fallback mode"
	TWISTED_FAST_NO_EXTENSIONS=1 $(VENV)/bin/python -m pytest -q -p no:cacheprovider \
		-m "not upstream and not release"
endif

test-3.12 test-3.13:
	$(MAKE) --no-print-directory test-version PYTHON=$(PYTHON_$(@:test-%=%)) \
		VENV=.venv-$(@:test-%=%)

# 3.14 and 3.15 share one entry into the testing root, one after the other.
test-debian-testing:
	$(TESTING_ROOT) run $(MAKE) --no-print-directory test-3.14-here test-3.15-here

test-3.14 test-3.15:
	$(TESTING_ROOT) run $(MAKE) --no-print-directory $@-here

# Inside the testing root (.ci/testing-root run).
test-3.14-here:
	$(MAKE) --no-print-directory test-version PYTHON=python3.14 VENV=.venv-3.14
test-3.15-here:
	$(MAKE) --no-print-directory test-version PYTHON=python3.15 VENV=.venv-3.15 FALLBACK=1

bench: $(BENCH_BUILT)
	$(BENCH_PY) -m twisted_fast.bench $(BENCH_ARGS)

dist: $(VENV)/.installed
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*

debug: $(VENV)/.installed
	TWISTED_FAST_DEBUG=1 TWISTED_FAST_WERROR=1 $(PY) setup.py -q build_ext --inplace --force

# A copy of the package with a sanitized debug build of the extension, so that
# the in-place release build stays as it is.  (The release artifacts are built
# without sanitizers: not here.)  pytest-twisted runs its tests in greenlets,
# whose stack copying ASan reports as a stack-buffer-underflow in greenlet
# itself: the test beside pytest-twisted is left to the plain runs.
asan: $(VENV)/.installed
	rm -rf $(ASAN_DIR) && mkdir -p $(ASAN_DIR)
	cp -r setup.py pyproject.toml README.md LICENSE src twisted_fast twisted tests \
		requirements $(ASAN_DIR)/
	rm -f $(ASAN_DIR)/twisted_fast/*.so
	cd $(ASAN_DIR) && TWISTED_FAST_SANITIZE=1 TWISTED_FAST_DEBUG=1 TWISTED_FAST_WERROR=1 \
		$(abspath $(PY)) setup.py -q build_ext --inplace
	cd $(ASAN_DIR) && $(ASAN_ENV) $(abspath $(PY)) -m pytest -q -p no:cacheprovider \
		-m "not release" --deselect tests/test_pytest_plugin.py::test_besidePytestTwisted tests

# CPython reports a few spurious errors of its own under memcheck: the check
# fails only on errors with a twisted-fast frame (.ci/valgrind_check.py).
valgrind: build
	PYTHONMALLOC=malloc valgrind --leak-check=no --log-file=valgrind.log \
		$(PY) -m pytest -q -p no:cacheprovider -m "not slow and not upstream" tests
	$(PY) .ci/valgrind_check.py valgrind.log

# On the debug build: its live-object counters are one of the counts hunted.
# `make build` (or `make test`) puts the release build back.
leaks: debug
	$(PY) .ci/leakhunt.py $(LEAKS_ARGS)

scale: build
	$(PY) -m twisted_fast.bench.scale $(SCALE_ARGS)

fuzz: build
	$(PY) .ci/fuzz.py $(FUZZ_ARGS)

clean:
	rm -rf build dist $(ASAN_DIR) *.egg-info twisted_fast/*.so twisted_fast/_build_failed.txt .pytest_cache .hypothesis $(VENV) \
		$(OLDEST_VENV) .venv-3.1? .venv-bench-*
	find . -name __pycache__ -prune -exec rm -rf {} +
